"""Managers' views: score per team and account with its change and trend line; what moved the score."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontend.sparkline import sparkline
from posture.findings.compliance import summary, trend
from posture.findings.group_trends import score_table
from posture.findings.movement import BadWindow, movement, window
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import catalog
from tests.conftest import scanned_team_accounts

FW = "test-benchmark-1.0"


@pytest.fixture
def teams_with_history(scanned_history, estate):
    """test-account (team red) with three weeks of history; acct-red and acct-blue scanned once, now."""
    CloudAccount.objects.filter(pk=scanned_history.pk).update(team="red")
    scanned_team_accounts(estate, ("red", "blue"))
    return scanned_history


@pytest.mark.parametrize("by", ["account", "team"])
def test_each_row_is_the_headline_of_its_accounts_and_its_change_is_the_trends(db, teams_with_history, by):
    fw = catalog().get(FW)
    end = timezone.now()
    start = end - timedelta(days=14)  # the history began 20 days ago
    rows = score_table(fw, CloudAccount.objects.all(), by, start=start, end=end)
    assert len(rows) == (3 if by == "account" else 2)
    for row in rows:
        mine = CloudAccount.objects.filter(**({"pk": row["key"]} if by == "account" else {"team": row["key"]}))
        assert row["score"] == summary(fw, mine)["score"]
        points = trend(FW, mine, start=start, end=end)
        assert row["points"] == points
        first = points[0]["score"]
        assert row["change"] == (None if first is None else round(row["score"] - first, 1))
    assert [r["score"] for r in rows] == sorted(r["score"] for r in rows)  # worst first
    history = next(r for r in rows if r["key"] == (teams_with_history.pk if by == "account" else "red"))
    assert history["change"] is not None and history["points"][0]["accounts"] >= 1


def test_scores_page_shows_a_labelled_trend_line_per_row(teams_with_history, admin):
    response = admin.get(f"/compliance/{FW}/scores/?by=account&days=90")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="sparkline"') == 3 and 'role="img" aria-label="Score ' in html
    assert "test-account" in html and "acct-blue" in html and "90 days" in html
    assert "per team" in admin.get(f"/compliance/{FW}/scores/?by=nonsense").content.decode()
    assert b"is not one of" in admin.get(f"/compliance/{FW}/scores/?days=7").content
    assert admin.get("/compliance/no-such/scores/").status_code == 404
    assert f"/compliance/{FW}/scores/" in admin.get(f"/compliance/{FW}/").content.decode()
    assert f"/compliance/{FW}/scores/" in admin.get("/compliance/").content.decode()


def test_sparkline_breaks_on_days_without_a_score_and_escapes_nothing_unsafe():
    points = [
        {"date": "2026-01-01", "score": None},
        {"date": "2026-01-02", "score": 50.0},
        {"date": "2026-01-03", "score": 100.0},
    ]
    svg = str(sparkline(points))
    assert svg.count("<polyline") == 1 and 'aria-label="Score 50% on 2026-01-02 to 100% on 2026-01-03"' in svg
    assert "No score over 1 days" in str(sparkline([{"date": "2026-01-01", "score": None}]))


def test_window_rejects_bad_dates_with_a_clear_message():
    now = timezone.now()
    today = timezone.localdate(now)
    for raw_from, raw_to, message in (
        ("2026-13-01", "", "not a date"),
        ("", "", "required"),
        (today.isoformat(), (today - timedelta(days=1)).isoformat(), "is after to"),
        (today.isoformat(), (today + timedelta(days=1)).isoformat(), "in the future"),
    ):
        with pytest.raises(BadWindow, match=message):
            window(raw_from, raw_to, now)
    assert window(today.isoformat(), "", now).end_at == now


def test_movement_lists_the_control_that_flipped_and_the_finding_behind_it(db, scanned_history, viewer):
    """MFA was fixed 9 days ago: between 12 and 5 days ago control 2.1 went fail -> pass, by a resolved finding."""
    fw = catalog().get(FW)
    today = timezone.localdate()
    accounts = CloudAccount.objects.all()
    win = window((today - timedelta(days=12)).isoformat(), (today - timedelta(days=5)).isoformat())
    moved = movement(fw, accounts, win)
    assert [(c["id"], c["before"], c["after"]) for c in moved["controls"]] == [("2.1", "fail", "pass")]
    [event] = moved["controls"][0]["findings"]
    assert event["kind"] == "resolved" and event["finding__rule_id"] == "testcloud.iam.user_has_mfa"
    points = trend(FW, accounts, start=win.trend_start, end=win.end_at)
    assert (points[0]["date"], points[-1]["date"]) == (moved["from"], moved["to"])
    assert moved["before"]["score"] == points[0]["score"] and moved["after"]["score"] == points[-1]["score"]
    assert moved["before"]["score"] != moved["after"]["score"]
    response = viewer.get(f"/compliance/{FW}/movement/?from={moved['from']}&to={moved['to']}")
    html = response.content.decode()
    assert response.status_code == 200 and 'data-control="2.1"' in html
    assert f"/findings/{event['finding_id']}/" in html and "resolved" in html


def test_movement_to_today_ends_at_the_headline(db, scanned_history, viewer):
    fw = catalog().get(FW)
    today = timezone.localdate()
    accounts = CloudAccount.objects.all()
    moved = movement(fw, accounts, window((today - timedelta(days=3)).isoformat(), today.isoformat()))
    assert moved["after"]["score"] == summary(fw, accounts)["score"]
    # 3 days ago: bucket public, MFA on; now: bucket public again (after a fix 2 days ago), MFA off
    assert [(c["id"], c["before"], c["after"]) for c in moved["controls"]] == [("2.1", "pass", "fail")]
    html = viewer.get(f"/compliance/{FW}/movement/?from=junk").content.decode()
    assert "is not a date" in html and "showing the last 30 days" in html
