"""One account collected as the scan pipeline collects it (connect, plan, collect), without Django or a database."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import collectors
from collectors import REGISTRY
from collectors.records import CollectionError, ResourceRecord, Target
from collectors.redact import credential_values
from collectors.run import collect, plan

DEFAULT_CONCURRENCY = 8  # POSTURE_SCAN_CONCURRENCY's default


@dataclass
class Scan:
    records: list[ResourceRecord] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    seconds: float = 0.0


def scan(target: Target, concurrency: int = DEFAULT_CONCURRENCY) -> Scan:
    collectors.load_providers()
    provider = REGISTRY.provider(target.provider)
    started = time.perf_counter()
    session = provider.connect(target)
    units = plan(provider, session, target)
    result = collect(
        provider, session, units, concurrency=concurrency, known_secrets=tuple(credential_values(target.credentials))
    )
    return Scan(result.records, result.errors, time.perf_counter() - started)
