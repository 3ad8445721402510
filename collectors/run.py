"""Collect one account: fan out per (service, region), bounded, fault-isolated."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from collectors.failures import log_failure
from collectors.permissions import explain
from collectors.records import GLOBAL_REGION, CollectionError, ResourceRecord, Target
from collectors.registry import REGISTRY, CollectorSpec, Provider, Registry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Unit:
    spec: CollectorSpec
    region: str

    @property
    def service(self) -> str:
        return self.spec.service


@dataclass
class Collection:
    records: list[ResourceRecord] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    cancelled: bool = False

    @property
    def failed_units(self) -> set[tuple[str, str]]:
        return {(e.service, e.region) for e in self.errors}


def plan(provider: Provider, session: Any, target: Target, registry: Registry = REGISTRY) -> list[Unit]:
    """Every (collector, region) to run: regional collectors once per region."""
    specs = registry.collectors(provider.name)
    regions: list[str] = []
    if any(s.regional for s in specs):
        regions = provider.list_regions(session, target)
    units = []
    for spec in specs:
        for region in regions if spec.regional else [GLOBAL_REGION]:
            units.append(Unit(spec, region))
    return units


def _run_unit(
    provider: Provider, session: Any, unit: Unit, known: tuple[str, ...] = ()
) -> tuple[list[ResourceRecord], CollectionError | None]:
    records: list[ResourceRecord] = []
    try:
        for record in unit.spec.fn(session, unit.region):
            if not isinstance(record, ResourceRecord):
                raise TypeError(f"collector yielded {type(record).__name__}, not a ResourceRecord")
            records.append(record)
    except Exception as exc:  # any failure stays inside its unit
        kind = provider.classify_error(exc)
        message = explain(provider.name, exc, kind)
        log_failure(log, logging.INFO, f"collection of {unit.service} in {unit.region} failed: {message}", exc, known)
        return records, CollectionError(unit.service, unit.region, message, kind)
    return records, None


def collect(
    provider: Provider,
    session: Any,
    units: list[Unit],
    *,
    concurrency: int = 8,
    unit_timeout: float = 900.0,
    on_progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    known_secrets: tuple[str, ...] = (),
) -> Collection:
    """Run ``units`` on a bounded thread pool; records of a failed unit are kept as far as they got.

    A unit still running after ``unit_timeout`` seconds is recorded as a
    ``timeout`` and left behind, so one hanging service cannot hold the scan.
    ``on_progress(done, total)`` and ``cancelled()`` are called from the
    calling thread only, so they may touch a database connection. ``known_secrets`` (the account's
    credential values) are scrubbed from the failures' DEBUG detail.
    """
    result = Collection(units=list(units))
    seen: dict[str, int] = {}
    pending: dict[Future, tuple[Unit, float]] = {}
    queue = list(units)
    done = 0
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="collect")
    try:
        while queue or pending:
            while queue and len(pending) < concurrency and not result.cancelled:
                unit = queue.pop(0)
                pending[pool.submit(_run_unit, provider, session, unit, known_secrets)] = (unit, time.monotonic())
            if not pending:
                break
            oldest = min(started for _, started in pending.values())
            finished, _ = wait(
                list(pending), timeout=max(0.0, oldest + unit_timeout - time.monotonic()), return_when=FIRST_COMPLETED
            )
            now = time.monotonic()
            for future in finished:
                pending.pop(future)
                records, error = future.result()
                for record in records:
                    if record.uid in seen:
                        result.records[seen[record.uid]] = record
                    else:
                        seen[record.uid] = len(result.records)
                        result.records.append(record)
                if error is not None:
                    result.errors.append(error)
                done += 1
            for future, (unit, started) in list(pending.items()):
                if now - started >= unit_timeout:  # abandon it: the thread finishes on its own or never
                    pending.pop(future)
                    result.errors.append(
                        CollectionError(unit.service, unit.region, f"no answer within {unit_timeout:.0f} s", "timeout")
                    )
                    done += 1
            if on_progress and (finished or done):
                on_progress(done, len(units))
            if queue and cancelled():
                result.cancelled = True
                queue.clear()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    result.errors.sort(key=lambda e: (e.service, e.region))
    return result
