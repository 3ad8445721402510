"""A spread scan's tasks (posture/scans/spread.py) run here, in-process, in an order of the test's choosing: the
unit tasks and finishing tasks that commits queue are caught in lists."""

from __future__ import annotations

from typing import Any

from django.test import TestCase

from posture.inventory.accounts import AccountInput, create_account
from posture.scans import spread
from posture.scans.models import Scan, ScanUnit, StagedRecord
from posture.scans.pipeline import create_scan


def commits() -> Any:
    """What a real commit does: the tasks queued on commit (here into lists) are queued."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def new_account(estate, name: str):
    return create_account(
        AccountInput(provider="testcloud", name=name, regions=[], credentials={"estate": str(estate.path)}),
        source="cli",
    )


def started(account) -> tuple[Scan, list[int], list[int]]:
    """A spread scan started; its unit tasks and finishing tasks, queued into the two lists."""
    scan = create_scan(account)
    units: list[int] = []
    finishing: list[int] = []
    with commits():
        spread.start(scan.pk, lambda s, u: units.append(u), finishing.append)
    return scan, units, finishing


def run(unit: int, finishing: list[int], **options: Any) -> str:
    with commits():
        return spread.collect_unit(unit, finishing.append, **options)


def spread_scan(account, order=reversed, redeliver: bool = True, unprepared: bool = False) -> Scan:
    """A spread scan with its tasks run here: units in ``order``, the first one redelivered after it reported.

    ``unprepared``: the staged rows lose what their units prepared, as if staged by a worker of the version before.
    """
    scan, units, finishing = started(account)
    for unit in order(units):
        assert run(unit, finishing, batch_size=7) in ("done", "failed")
    if redeliver and units:
        assert run(units[0], finishing) == "skipped"
    assert finishing == [scan.pk], "exactly the last unit to report queues the finishing task"
    if unprepared:
        StagedRecord.objects.filter(scan=scan).update(prepared="")
    finished = spread.finish(scan.pk)
    assert spread.finish(scan.pk).state == finished.state, "a second delivery changes nothing"
    return finished


def unit_of(scan: Scan, service: str, region: str) -> ScanUnit:
    return ScanUnit.objects.get(scan=scan, service=service, region=region)


def lost(scan: Scan) -> list[tuple[str, str, str, str]]:
    """The scan's errors: service, region, kind, and whether its unit was never taken or went silent."""
    scan.refresh_from_db()
    return [(e["service"], e["region"], e["kind"], "never taken" if "never" in e["error"] else "") for e in scan.errors]
