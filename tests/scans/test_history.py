"""A finding's events are the transitions it went through: opened the first time it fails, whatever it was
before; reopened only after it resolved; resolved only while open."""

from __future__ import annotations

import pytest

from posture.findings.models import EventKind, FindingEvent
from posture.scans.persist import transition
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import estate_doc
from tests.support.history import invalid_histories, problems_in

pytestmark = pytest.mark.django_db

FAIL, PASS, ERROR = "FAIL", "PASS", "ERROR"
OPENED, RESOLVED, REOPENED, CHANGED = EventKind.OPENED, EventKind.RESOLVED, EventKind.REOPENED, EventKind.CHANGED


def kinds_of(uid: str) -> list[str]:
    events = FindingEvent.objects.filter(finding__resource_uid=uid).order_by("at", "id")
    return list(events.values_list("kind", flat=True))


def test_a_finding_first_seen_passing_is_opened_when_it_first_fails(account, estate) -> None:
    run_scan(create_scan(account).pk)  # b-private passes: no event
    assert kinds_of("b-private") == []
    doc = estate_doc()
    doc["resources"][1]["config"]["public"] = True
    estate.write(doc)
    run_scan(create_scan(account).pk)
    estate.write(estate_doc())
    run_scan(create_scan(account).pk)
    estate.write(doc)
    run_scan(create_scan(account).pk)
    assert kinds_of("b-private") == ["opened", "resolved", "reopened"]
    assert invalid_histories() == {}


def test_a_gone_resource_resolves_its_open_finding_once(account, estate) -> None:
    run_scan(create_scan(account).pk)
    doc = estate_doc()
    doc["resources"] = [r for r in doc["resources"] if r["uid"] != "b-public"]
    estate.write(doc)
    run_scan(create_scan(account).pk)
    assert kinds_of("b-public") == ["opened", "resolved"]


@pytest.mark.parametrize(
    ("old", "new", "last", "kind"),
    [
        (None, FAIL, None, OPENED),
        (None, PASS, None, None),
        (None, ERROR, None, None),
        (PASS, FAIL, None, OPENED),  # first seen passing: this is its opening, not a regression
        (ERROR, FAIL, None, OPENED),
        (PASS, FAIL, RESOLVED, REOPENED),
        (ERROR, FAIL, RESOLVED, REOPENED),
        (ERROR, FAIL, OPENED, CHANGED),  # failing, unreadable once, failing again: it never closed
        (ERROR, FAIL, REOPENED, CHANGED),
        (FAIL, PASS, OPENED, RESOLVED),
        (FAIL, PASS, None, RESOLVED),  # its opening purged by retention: it was open all the same
        (ERROR, PASS, OPENED, RESOLVED),  # open, then unreadable, then passing: it resolved
        (ERROR, PASS, None, CHANGED),
        (ERROR, PASS, RESOLVED, CHANGED),
        (FAIL, ERROR, OPENED, CHANGED),
        (PASS, ERROR, None, CHANGED),
        (FAIL, FAIL, OPENED, None),
    ],
)
def test_transition(old, new, last, kind) -> None:
    assert transition(old, new, last) == kind


def test_the_lifecycle_check_finds_what_is_wrong() -> None:
    assert problems_in(["opened", "muted", "resolved", "changed", "reopened", "unmuted", "resolved"]) == []
    assert problems_in(["muted", "unmuted"]) == []  # a passing finding may be muted before it ever fails
    assert problems_in(["reopened"]) == ["#0 reopened after nothing"]
    assert problems_in(["opened", "reopened"]) == ["#1 reopened after opened"]
    assert problems_in(["opened", "resolved", "resolved"]) == ["#2 resolved after resolved"]
    assert problems_in(["opened", "unmuted"]) == ["#1 unmuted while not muted"]
