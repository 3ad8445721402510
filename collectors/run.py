"""Collect one account: fan out per (service, region), bounded, fault-isolated.

:func:`collect` runs every unit of an account in this process's threads and returns their records;
:func:`stream_unit` runs one unit and hands its records on in batches as they come, for a scan whose
units are spread over many worker processes (``posture/scans/spread.py``).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
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
    provider: Provider,
    session: Any,
    unit: Unit,
    known: tuple[str, ...] = (),
    sink: Callable[[ResourceRecord], object] | None = None,
) -> tuple[list[ResourceRecord], CollectionError | None]:
    """The unit's records (or, with ``sink``, each record handed to it instead of kept) and its failure."""
    records: list[ResourceRecord] = []
    try:
        for record in unit.spec.fn(session, unit.region):
            if not isinstance(record, ResourceRecord):
                raise TypeError(f"collector yielded {type(record).__name__}, not a ResourceRecord")
            (sink or records.append)(record)
    except Exception as exc:  # any failure stays inside its unit
        kind = provider.classify_error(exc)
        message = explain(provider.name, exc, kind)
        log_failure(log, logging.INFO, f"collection of {unit.service} in {unit.region} failed: {message}", exc, known)
        return records, CollectionError(unit.service, unit.region, message, kind)
    return records, None


def unit_key(unit: Unit) -> tuple[str, str]:
    """What names a unit across processes: (service, region); a provider has one collector per service."""
    return unit.service, unit.region


def find_unit(provider: Provider, service: str, region: str, registry: Registry = REGISTRY) -> Unit:
    """The unit ``(service, region)`` of ``provider``, as :func:`plan` made it in another process."""
    for spec in registry.collectors(provider.name):
        if spec.service == service:
            return Unit(spec, region)
    raise LookupError(f"no collector {provider.name}/{service}")


_END = object()


class _Abandoned(BaseException):
    """Raised into a collector whose unit timed out: not an Exception, so no unit catches it as a failure."""


def stream_unit(
    provider: Provider,
    session: Any,
    unit: Unit,
    on_batch: Callable[[list[ResourceRecord]], None],
    *,
    batch_size: int = 500,
    unit_timeout: float = 900.0,
    known_secrets: tuple[str, ...] = (),
) -> CollectionError | None:
    """Run one unit, calling ``on_batch`` (in the calling thread) with its records, ``batch_size`` at a time.

    The collector runs in a thread of its own feeding a bounded queue, so no more than a few batches are ever
    held; ``on_batch`` may touch a database connection. Like :func:`collect`, a failure keeps the records given so
    far and returns the unit's :class:`CollectionError`; a unit still running after ``unit_timeout`` seconds is
    a ``timeout`` and its thread is left behind.
    """
    items: queue.Queue[Any] = queue.Queue(maxsize=2 * batch_size)
    outcome: list[CollectionError | None] = []
    abandoned = threading.Event()

    def sink(item: object) -> None:
        while not abandoned.is_set():
            with contextlib.suppress(queue.Full):
                items.put(item, timeout=1)
                return
        raise _Abandoned

    def produce() -> None:
        with contextlib.suppress(_Abandoned):
            _, error = _run_unit(provider, session, unit, known_secrets, sink=sink)
            outcome.append(error)
            sink(_END)

    threading.Thread(target=produce, name=f"collect-{unit.service}-{unit.region}", daemon=True).start()
    deadline = time.monotonic() + unit_timeout
    batch: list[ResourceRecord] = []
    try:
        while True:
            try:
                item = items.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                if batch:
                    on_batch(batch)
                return CollectionError(unit.service, unit.region, f"no answer within {unit_timeout:.0f} s", "timeout")
            if item is _END:
                break
            batch.append(item)
            if len(batch) >= batch_size:
                on_batch(batch)
                batch = []
        if batch:
            on_batch(batch)
        return outcome[0]
    finally:
        abandoned.set()  # timed out or on_batch raised: the collector thread stops at its next record (or never)


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
    kept: dict[int, list[ResourceRecord]] = {}  # unit's place in ``units`` -> its records
    pending: dict[Future, tuple[Unit, float]] = {}
    # account-wide units first (IAM, S3 and the like are often a scan's longest): started last, one of them would
    # be the scan's tail. Only the start order changes; the records keep the plan's order.
    queue = sorted(units, key=lambda unit: unit.region != GLOBAL_REGION)
    place = {id(unit): n for n, unit in enumerate(units)}
    done = 0
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="collect")

    def fill() -> None:
        while queue and len(pending) < concurrency and not result.cancelled:
            unit = queue.pop(0)
            pending[pool.submit(_run_unit, provider, session, unit, known_secrets)] = (unit, time.monotonic())

    try:
        while queue or pending:
            fill()
            if not pending:
                break
            oldest = min(started for _, started in pending.values())
            finished, _ = wait(
                list(pending), timeout=max(0.0, oldest + unit_timeout - time.monotonic()), return_when=FIRST_COMPLETED
            )
            now = time.monotonic()
            for future in finished:
                unit, _ = pending.pop(future)
                records, error = future.result()
                kept[place[id(unit)]] = records
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
            fill()  # the freed threads take their next units before the progress and cancel bookkeeping
            if on_progress and (finished or done):
                on_progress(done, len(units))
            if queue and cancelled():
                result.cancelled = True
                queue.clear()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    result.records = in_plan_order(kept[n] for n in sorted(kept))
    result.errors.sort(key=lambda e: (e.service, e.region))
    return result


def in_plan_order(per_unit: Iterable[list[ResourceRecord]]) -> list[ResourceRecord]:
    """The units' records in the order of the plan, whatever order the units finished in, each uid once: the
    last one given (the same order and choice as a scan spread over workers reads them back in)."""
    ordered = [record for records in per_unit for record in records]
    last = {record.uid: n for n, record in enumerate(ordered)}
    return [record for n, record in enumerate(ordered) if last[record.uid] == n]
