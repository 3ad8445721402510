"""The managers' compliance API: per-team/account scores with their change; what moved the score; bad input is 400."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posture.findings.compliance import summary
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import catalog

URL = "/api/v1/compliance/test-benchmark-1.0"


@pytest.fixture
def viewer(client, user_with_role):
    client.force_login(user_with_role("viewer"))
    return client


def test_rollup_rows_are_the_headline_per_account(viewer, scanned) -> None:
    body = viewer.get(f"{URL}/rollup/?by=account&days=90").json()
    assert body["by"] == "account" and body["days"] == 90
    [row] = body["rows"]
    assert row["account"] == scanned.pk and row["name"] == scanned.name
    fw = catalog().get("test-benchmark-1.0")
    assert row["score"] == summary(fw, CloudAccount.objects.filter(pk=scanned.pk))["score"]
    assert len(row["points"]) == 90 and row["points"][-1]["score"] == row["score"]
    assert row["change"] is None  # no score 90 days ago
    assert viewer.get(f"{URL}/rollup/").json()["rows"][0]["team"] == ""


def test_movement_scores_and_controls(viewer, scanned) -> None:
    today = timezone.localdate()
    body = viewer.get(f"{URL}/movement/?from={today - timedelta(days=3)}").json()
    assert body["to"] == today.isoformat() and body["before"]["accounts"] == 0
    assert body["after"]["score"] == viewer.get(f"{URL}/").json()["score"]
    assert {c["id"] for c in body["controls"]} >= {"1.1"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("rollup/?by=region", "team or account"),
        ("rollup/?days=0", "between 1 and 730"),
        ("rollup/?days=x", "a whole number"),
        ("rollup/?colour=red", "unknown filter"),
        ("movement/", "from: a date is required"),
        ("movement/?from=2026-02-30", "is not a date"),
        ("movement/?from=2026-01-02&to=2026-01-01", "is after to"),
        ("movement/?from=2026-01-01&to=2999-01-01", "in the future"),
    ],
)
def test_bad_input_is_a_400_that_says_why(viewer, scanned, query, message) -> None:
    response = viewer.get(f"{URL}/{query}")
    assert response.status_code == 400 and message in response.content.decode()


def test_unknown_framework_is_404(viewer, scanned) -> None:
    assert viewer.get("/api/v1/compliance/nope/rollup/").status_code == 404
    assert viewer.get("/api/v1/compliance/nope/movement/?from=2026-01-01").status_code == 404
