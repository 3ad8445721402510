"""Drift between scans: only configuration counts, resources come and go, any two scans compare, baselines."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client

from collectors import volatile
from posture.access.models import AuditLog
from posture.inventory.models import Resource, ResourceChange
from posture.scans.baseline import BaselineRefused, mark_baseline
from posture.scans.drift import DriftError, DriftFilters, drift
from posture.scans.models import Scan
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import estate_doc

pytestmark = pytest.mark.django_db


def scan(account) -> Scan:
    return run_scan(create_scan(account).pk)


def person(role: str) -> User:
    user = User.objects.create_user(f"{role}-1", password="a-long-test-password")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def fields(body: dict, uid: str) -> list[dict]:
    return next(c["fields"] for c in body["resources_changed"] if c["uid"] == uid)


def test_a_rescan_where_only_volatile_fields_moved_writes_no_drift_but_keeps_the_new_config(
    account, estate, monkeypatch
) -> None:
    monkeypatch.setitem(volatile.VOLATILE, "testcloud", ("lastUsed",))
    doc = estate_doc()
    doc["resources"][3]["config"]["lastUsed"] = "2026-11-01"
    estate.write(doc)
    scan(account)
    doc["resources"][3]["config"]["lastUsed"] = "2026-11-02"
    estate.write(doc)
    quiet = scan(account)
    assert quiet.counts["resources_changed"] == 0 and not ResourceChange.objects.exists()
    assert Resource.objects.get(uid="u-alice").config["lastUsed"] == "2026-11-02"  # stored as collected
    doc["resources"][3]["config"].update(lastUsed="2026-11-03", mfa=True)
    estate.write(doc)
    body = drift(scan(account))
    assert fields(body, "u-alice") == [{"path": "mfa", "before": False, "after": True}]


def test_resources_that_appear_go_and_come_back(account, estate) -> None:
    scan(account)
    assert not ResourceChange.objects.exists()  # a first scan finds the estate: nothing "appeared"
    doc = estate_doc()
    gone = doc["resources"].pop(2)
    doc["resources"].append({"service": "iam", "type": "testcloud.iam.user", "uid": "u-bob", "config": {"mfa": True}})
    estate.write(doc)
    body = drift(scan(account))
    assert {(c["uid"], c["kind"]) for c in body["resources_changed"]} == {("b-r2", "gone"), ("u-bob", "appeared")}
    assert body["counts"] == {"modified": 0, "recreated": 0, "appeared": 1, "gone": 1}
    doc["resources"].append(gone)
    estate.write(doc)
    back = drift(scan(account))
    assert [(c["uid"], c["kind"]) for c in back["resources_changed"]] == [("b-r2", "appeared")]


def test_any_two_scans_compare_in_either_order_and_changes_undone_vanish(account, estate) -> None:
    first = scan(account)
    estate.write(estate_doc(public=False))
    middle = scan(account)
    doc = estate_doc(public=True, mfa=True)
    doc["resources"][1]["config"]["versioning"] = True
    estate.write(doc)
    last = scan(account)
    body = drift(last, str(first.pk))
    assert {c["uid"] for c in body["resources_changed"]} == {"u-alice", "b-private"}  # b-public went and came back
    assert fields(body, "u-alice") == [{"path": "mfa", "before": False, "after": True}]
    backwards = drift(first, str(last.pk))
    assert fields(backwards, "u-alice") == [{"path": "mfa", "before": True, "after": False}]
    assert fields(drift(middle, str(first.pk)), "b-public") == [{"path": "public", "before": True, "after": False}]
    assert drift(last)["against"] == {"scan": middle.pk, "how": "previous"}
    only = drift(last, str(first.pk), DriftFilters(type="testcloud.iam.user"))
    assert [c["uid"] for c in only["resources_changed"]] == ["u-alice"]
    assert drift(last, str(first.pk), DriftFilters(kind="appeared"))["resources_changed"] == []


def test_bad_comparisons_are_refused(account, estate, make_other_account) -> None:
    latest = scan(account)
    with pytest.raises(DriftError, match="no baseline"):
        drift(latest, "baseline")
    with pytest.raises(DriftError, match="previous, baseline or a scan id"):
        drift(latest, "yesterday")
    other = scan(make_other_account())
    with pytest.raises(DriftError, match=f"no finished scan {other.pk}"):
        drift(latest, str(other.pk))


@pytest.fixture
def make_other_account(estate):
    from posture.inventory.accounts import AccountInput, create_account

    def make():
        return create_account(
            AccountInput(provider="testcloud", name="other", regions=[], credentials={"estate": str(estate.path)}),
            source="cli",
        )

    return make


def test_a_baseline_is_one_per_account_audited_and_compared_with(account, estate) -> None:
    base = scan(account)
    analyst = person("analyst")
    mark_baseline(base, user=analyst, source="web")
    newer = scan(account)
    mark_baseline(newer, user=analyst, source="web")
    assert list(Scan.objects.filter(baseline_at__isnull=False)) == [newer]
    mark_baseline(base, user=analyst, source="web")
    assert AuditLog.objects.filter(action="scan.baseline").count() == 3
    estate.write(estate_doc(public=False))
    latest = scan(account)
    scan(account)
    body = drift(latest, "baseline")
    assert body["against"] == {"scan": base.pk, "how": "baseline"}
    assert fields(body, "b-public") == [{"path": "public", "before": True, "after": False}]
    running = Scan.objects.create(account=account, state="running")
    with pytest.raises(BaselineRefused):
        mark_baseline(running, user=analyst)


def test_baselines_from_the_command_line(account, estate) -> None:
    done = scan(account)
    person("viewer")
    with pytest.raises(CommandError, match="may not mark baselines"):
        call_command("baseline", str(done.pk), "--as-user", "viewer-1")
    call_command("baseline", str(done.pk))
    done.refresh_from_db()
    assert done.baseline_at is not None
    assert AuditLog.objects.get(action="scan.baseline").source == "cli"
    call_command("baseline", str(done.pk), "--clear")
    done.refresh_from_db()
    assert done.baseline_at is None and AuditLog.objects.filter(action="scan.baseline_clear").exists()
    with pytest.raises(CommandError, match="no scan 999"):
        call_command("baseline", "999")


def test_baselines_through_the_api_and_the_page(account, estate) -> None:
    done = scan(account)
    viewer, analyst = Client(), Client()
    viewer.force_login(person("viewer"))
    analyst.force_login(person("analyst"))
    assert viewer.post(f"/api/v1/scans/{done.pk}/baseline/").status_code == 403
    assert viewer.post(f"/scans/{done.pk}/baseline/").status_code == 403
    response = analyst.post(f"/api/v1/scans/{done.pk}/baseline/")
    assert response.status_code == 200 and response.json()["baseline_at"]
    estate.write(estate_doc(mfa=True))
    latest = scan(account)
    api = analyst.get(f"/api/v1/scans/{latest.pk}/drift/?against=baseline&kind=modified").json()
    assert api["against"]["scan"] == done.pk and [c["uid"] for c in api["resources_changed"]] == ["u-alice"]
    assert analyst.get(f"/api/v1/scans/{latest.pk}/drift/?against=nope").status_code == 400
    assert analyst.get(f"/api/v1/scans/{latest.pk}/drift/?kind=nope").status_code == 400
    assert analyst.delete(f"/api/v1/scans/{done.pk}/baseline/").json()["baseline_at"] is None
    page = analyst.post(f"/scans/{latest.pk}/baseline/")
    assert page.status_code == 302 and page.url == f"/drift/?scan={latest.pk}&against=baseline"
    shown = analyst.get(page.url).content.decode()
    assert f"Scan #{latest.pk} is the approved baseline" in shown and "against the baseline" in shown
    running = Scan.objects.create(account=account, state="running")
    assert analyst.post(f"/api/v1/scans/{running.pk}/baseline/").status_code == 409
