"""Drift on a folder of projects: entity tags, update times, fingerprints and states are no drift; an edit is."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from emulators.gcp import GcpEmulator, demo_estate
from posture.inventory.models import ResourceChange
from posture.scans.drift import drift
from posture.scans.models import Scan
from tests.collectors.gcp.conftest import TOKEN
from tests.collectors.gcp.test_end_to_end import add_and_scan

pytestmark = pytest.mark.django_db


def etag(day: int) -> str:
    return base64.b64encode(f"day-{day}".encode()).decode()


def churn(value: Any, day: int) -> None:
    """Every etag, fingerprint and update time a day on, states flipping, rotation schedules moving."""
    if isinstance(value, list):
        for item in value:
            churn(item, day)
        return
    if not isinstance(value, dict):
        return
    for key in list(value):
        if key in ("etag", "fingerprint", "labelFingerprint"):
            value[key] = etag(day)
        elif key in ("updated", "updateTime", "nextRotationTime", "lastStartTimestamp"):
            value[key] = f"2026-11-{day:02d}T08:00:00.000Z"
        elif key == "metageneration":
            value[key] = str(day)
        elif key == "status" and value[key] in ("RUNNING", "RECONCILING"):
            value[key] = "RECONCILING" if day % 2 else "RUNNING"
        else:
            churn(value[key], day)


def churned(day: int) -> dict[str, Any]:
    estate = demo_estate()
    churn(estate, day)
    return estate


def rescan() -> Scan:
    call_command("scan", "acme")
    return Scan.objects.filter(account__name="acme").latest("created_at")


def test_google_bookkeeping_is_no_drift_but_opening_a_bucket_is(tmp_path: Path) -> None:
    with GcpEmulator(churned(1), token=TOKEN) as emulator:
        first, _ = add_and_scan(emulator.url, tmp_path)
        assert first.state == "succeeded", first.errors
        emulator.estate = churned(2)
        quiet = rescan()
        moved = [
            (t, f["path"])
            for t, d in ResourceChange.objects.filter(scan=quiet).values_list("resource__type", "diff")
            for f in d
        ]
        assert not moved

        estate = churned(3)
        policies = estate["projects"][0]["bucketPolicies"]
        policies["acme-prod-artifacts"] = {
            "bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]
        }
        emulator.estate = estate
        body = drift(rescan())
    assert [c["uid"] for c in body["resources_changed"]] == [
        "//storage.googleapis.com/projects/_/buckets/acme-prod-artifacts"
    ]
    [bucket] = body["resources_changed"]
    assert bucket["kind"] == "modified"
    assert {
        "path": "iamPolicy.bindings.0.members",
        "before": ["projectEditor:acme-prod", "projectOwner:acme-prod"],
        "after": ["allUsers"],
    } in bucket["fields"]
