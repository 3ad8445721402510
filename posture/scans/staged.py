"""A spread scan's records between its units and its evaluation: staged per unit, read back a type at a time.

A unit's records are written as they arrive (:func:`stage`) as :class:`StagedRecord` rows tied to the scan,
the unit and the unit's attempt; only the attempt that reported counts, so a unit run twice never counts twice.
Each row carries what the unit worked out for storing (:mod:`posture.scans.prepared`: the config hash, the search
label and the verdicts of the rules that read only their own record), so that work is spread over the workers.
When every unit has reported, :func:`store_staged` stores the scan as ``pipeline._store`` stores a collection
held in memory, with the same steps and the same verdicts, but never with the whole account in one process:

- the types are taken in turn and each type's records read back :data:`BATCH` at a time, in the order of the
  plan (units) and of each unit's collector, as ``collectors.run.collect`` orders them in-process (a uid given
  twice, by two units or twice by one, counts once: the last in that order); so a context rule that reads a
  list of records sees it in the same order either way;
- a batch of workloads gets its ``_imageScans`` as in-process, from the stored results and from this scan's own
  image scan records, looked up by digest (:class:`StagedScan` indexes them once);
- each batch: its resources upserted (reading their own rows only), the rules the units did not judge run over
  it (those that asked for the account's other records), its findings upserted;
- rules that read the account's other records (trails for an alarm rule, a cluster's RBAC, the workloads of a
  region) read them through :class:`StoredContext`, which loads a type when a rule first asks for it and keeps
  it while rules ask for it (others up to :data:`CONTEXT_LIMIT` records): what a context rule sees is the whole
  type, as in-process, so its verdicts are the same; memory is a batch plus the context types its rules read;
- then the closing steps in-process scans share (:func:`posture.scans.pipeline.close_scan`).

All of it is one transaction, as in-process: it lands whole, or a dropped connection leaves nothing of it.
"""

from __future__ import annotations

import json
from collections import OrderedDict, defaultdict
from collections.abc import Iterator
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet

from collectors.image_scans import IMAGE_SCAN_KEY
from collectors.records import ResourceRecord
from posture.images.running import running_digests
from posture.images.store import SCAN_TYPE_SUFFIX
from posture.inventory.models import Resource
from posture.rules.context import RuleContext, forget
from posture.scans.container_drift import WORKLOAD_TYPE
from posture.scans.image_scans import attach_image_scans, store_image_scans
from posture.scans.models import UNIT_REPORTED, Scan, ScanState, ScanUnit, StagedRecord, UnitState
from posture.scans.persist import PersistStats, insert, persist_findings, persist_resources
from posture.scans.pipeline import Clock, Outcome, _finish, close_scan
from posture.scans.prepared import Prepared, prepare, read
from posture.scans.prepared import results as prepared_results

BATCH = 500
CONTEXT_LIMIT = 10_000  # records the context keeps beyond what the current batch's rules ask for


def encode(record: ResourceRecord) -> str:
    """The record's fields besides type and uid, as JSON text in the order collected."""
    fields = [record.provider, record.service, record.region, record.name, record.tags, record.config]
    return json.dumps(fields, separators=(",", ":"))


def decode(type_: str, uid: str, data: str) -> ResourceRecord:
    provider, service, region, name, tags, config = json.loads(data)
    return ResourceRecord(provider, service, type_, uid, name, region, tags, config)


def stage(unit: ScanUnit, attempt: int, records: list[ResourceRecord]) -> None:
    """Write one batch of a unit's records (one bulk insert), each prepared for storing (:mod:`prepared`)."""
    texts = [encode(r) for r in records]
    as_read = [decode(r.type[:200], r.uid, data) for r, data in zip(records, texts, strict=True)]  # as stored
    rows = [
        StagedRecord(scan_id=unit.scan_id, unit=unit, attempt=attempt, type=r.type, uid=r.uid, data=data, prepared=p)
        for r, data, p in zip(as_read, texts, prepare(as_read), strict=True)
    ]
    insert(StagedRecord, rows)


def counted(scan_id: int) -> QuerySet[StagedRecord]:
    """The staged rows that count: those of the attempt that reported, of a unit that reported."""
    return StagedRecord.objects.filter(scan_id=scan_id, unit__state__in=UNIT_REPORTED, attempt=F("unit__attempt"))


class StagedScan:
    """A scan's counted records, read back by type and batch; workloads enriched with their image scans."""

    def __init__(self, scan: Scan, now: datetime) -> None:
        self.scan, self.now = scan, now
        rows = counted(scan.pk)
        self.types = sorted(set(rows.values_list("type", flat=True).distinct()))
        dupes = list(rows.values("uid").annotate(n=Count("id")).filter(n__gt=1).values_list("uid", flat=True))
        last: dict[str, tuple[int, int]] = {}  # uid -> (unit, id) of the one that counts: the last in plan order
        every: set[int] = set()
        for uid, unit, pk in rows.filter(uid__in=dupes).values_list("uid", "unit_id", "id"):
            last[uid] = max(last.get(uid, (0, 0)), (unit, pk))
            every.add(pk)
        self.superseded = every - {pk for _, pk in last.values()}
        self.total = rows.count() - len(self.superseded)
        self._scans_by_digest: dict[str, list[int]] | None = None

    def batches(self, type_: str) -> Iterator[list[ResourceRecord]]:
        """The type's records in staging order, :data:`BATCH` at a time (workloads with their ``_imageScans``)."""
        for batch in self._rows(type_, prepared=False):
            yield [record for record, _ in batch]

    def prepared_batches(self, type_: str) -> Iterator[list[tuple[ResourceRecord, Prepared | None]]]:
        """As :meth:`batches`, each record with what its unit prepared (None: nothing, or a workload enriched)."""
        return self._rows(type_, prepared=True)

    def _rows(self, type_: str, prepared: bool) -> Iterator[list[tuple[ResourceRecord, Prepared | None]]]:
        unit, last, size = 0, 0, BATCH
        columns = ["unit_id", "id", "uid", "data", *(["prepared"] if prepared else [])]
        while True:
            after = Q(unit_id__gt=unit) | Q(unit_id=unit, id__gt=last)
            rows = list(
                counted(self.scan.pk).filter(after, type=type_).order_by("unit_id", "id").values_list(*columns)[:size]
            )
            if not rows:
                return
            unit, last = rows[-1][0], rows[-1][1]
            kept = [row for row in rows if row[1] not in self.superseded]
            records = [decode(type_, row[2], row[3]) for row in kept]
            ready = [read(row[4], row[2]) if prepared else None for row in kept]
            if records and type_ == WORKLOAD_TYPE:
                enriched = self._with_image_scans(records)
                ready = [p if new is old else None for p, new, old in zip(ready, enriched, records, strict=True)]
                records = enriched
            if records:
                yield list(zip(records, ready, strict=True))

    def records(self, type_: str) -> Iterator[ResourceRecord]:
        for batch in self.batches(type_):
            yield from batch

    def _with_image_scans(self, workloads: list[ResourceRecord]) -> list[ResourceRecord]:
        """As ``attach_image_scans`` over the whole scan: this scan's own results for the digests they run first."""
        own = self._own_scans({d for w in workloads for d in _digests(w)})
        return attach_image_scans(self.scan.account, [*own, *workloads], self.now)[len(own) :]

    def _own_scans(self, digests: set[str]) -> list[ResourceRecord]:
        if self._scans_by_digest is None:  # digest -> staged ids of this scan's image scan records, built once
            self._scans_by_digest = defaultdict(list)
            for type_ in (t for t in self.types if t.endswith(SCAN_TYPE_SUFFIX)):
                rows = counted(self.scan.pk).filter(type=type_).order_by("unit_id", "id").values_list("id", "data")
                for pk, data in rows.iterator(BATCH):
                    scan = json.loads(data)[5].get(IMAGE_SCAN_KEY)
                    if pk not in self.superseded and isinstance(scan, dict) and isinstance(scan.get("digest"), str):
                        self._scans_by_digest[scan["digest"]].append(pk)
        ids = sorted({pk for d in digests for pk in self._scans_by_digest.get(d, ())})
        rows = StagedRecord.objects.filter(id__in=ids).order_by("unit_id", "id").values_list("type", "uid", "data")
        return [decode(*row) for row in rows]


def _digests(workload: ResourceRecord) -> list[str]:
    return list(running_digests(workload.config))


class StoredContext(RuleContext):
    """What a rule may read besides its own record, loaded from the staged scan a type at a time, on demand.

    A type is loaded whole the first time a rule asks for it (a context rule sees all of it, in-process order)
    and kept while it is being asked for. Between batches (:meth:`next_batch`), the types the last batch's rules
    did not ask for go, least recently asked first, while more than ``limit`` records are held (and with them the
    lookups rules built that keep their records, ``context.derived``): memory is what one batch's rules need,
    never the whole account, and a type the current rules keep asking for is never read twice in a row.
    """

    def __init__(self, staged: StagedScan, limit: int | None = None) -> None:
        super().__init__(())
        self._staged, self._limit = staged, CONTEXT_LIMIT if limit is None else limit
        self._loaded: OrderedDict[str, list[ResourceRecord]] = OrderedDict()
        self._asked: set[str] = set()
        self.loads = 0  # how many times a type was read from the database (tests, benchmarks)

    def types(self) -> set[str]:
        return set(self._staged.types)

    def resources(self, type_: str) -> list[ResourceRecord]:
        if type_ not in self._loaded:
            if type_ not in self._staged.types:
                return []
            self._loaded[type_] = list(self._staged.records(type_))
            self.loads += 1
        self._loaded.move_to_end(type_)
        self._asked.add(type_)
        return list(self._loaded[type_])

    def stream(self, type_: str) -> Iterator[ResourceRecord]:
        """The type's records one at a time, read from the staged rows, not kept (``context.each``); a type held
        already is passed from memory."""
        if type_ in self._loaded:
            return iter(list(self._loaded[type_]))
        if type_ not in self._staged.types:
            return iter(())
        self.loads += 1
        return self._staged.records(type_)

    def next_batch(self) -> None:
        """Forget the types the last batch did not ask for, oldest first, while over the limit."""
        for type_ in [t for t in self._loaded if t not in self._asked]:
            if sum(map(len, self._loaded.values())) <= self._limit:
                break
            del self._loaded[type_]
            forget(self, type_)  # the rules' lookups that keep its records (``context.derived``) go with it
        self._asked = set()


def store_staged(scan: Scan, clock: Clock) -> Scan:
    """Evaluate and store a spread scan whose units have all reported; one transaction, then the final state."""
    current = Scan.objects.filter(pk=scan.pk).values_list("state", flat=True).first()
    if current != ScanState.RUNNING:  # a retry after a commit whose answer was lost, or a cancel
        scan.refresh_from_db()
        return scan
    units = list(ScanUnit.objects.filter(scan=scan).order_by("service", "region"))
    errors = [u.error for u in units if u.error]
    now = clock()
    staged = StagedScan(scan, now)
    if units and all(u.state == UnitState.FAILED for u in units) and not staged.total:
        return _finish(scan, ScanState.FAILED, clock, errors=errors, message="every service failed; see errors")
    stats = PersistStats()
    images = 0
    with transaction.atomic():
        known_estate = Resource.objects.filter(account=scan.account).exists()
        ctx = StoredContext(staged)
        for type_ in staged.types:
            for pairs in staged.prepared_batches(type_):
                batch = [record for record, _ in pairs]
                ready = [p for _, p in pairs]
                done = {r.uid: (p.hash, p.label) for r, p in pairs if p is not None}
                resource_ids = persist_resources(
                    scan.account, scan, batch, now, stats, known_estate=known_estate, prepared=done
                )
                stored = store_image_scans(scan.account, batch, now)
                images += stored.new + stored.updated
                ctx.next_batch()
                results = list(prepared_results(batch, ready, ctx))
                persist_findings(scan.account, scan, results, resource_ids, now, stats, batch=True)
        failed = sum(u.state == UnitState.FAILED for u in units)
        outcome = Outcome(staged.total, len(units), failed, errors)
        workloads = staged.records(WORKLOAD_TYPE) if WORKLOAD_TYPE in staged.types else iter(())
        finished = close_scan(scan, outcome, workloads, stats, images, now, clock)
        unstage(scan.pk)  # with the rest: a scan seen finished has nothing staged left
    return finished


def unstage(scan_id: int) -> int:
    """Forget a scan's staged records (it is stored, cancelled or failed)."""
    deleted, _ = StagedRecord.objects.filter(scan_id=scan_id).delete()
    return deleted
