"""Drift on a subscription: entity tags, modification stamps and provisioning states are no drift; an edit is."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from emulators.azure import ArmEmulator
from emulators.azure.demo import demo_estate
from posture.inventory.models import ResourceChange
from posture.scans.drift import drift
from posture.scans.models import Scan
from tests.collectors.azure.test_end_to_end import add_account

pytestmark = pytest.mark.django_db


def scan() -> Scan:
    call_command("scan", "azure-prod")
    return Scan.objects.order_by("-id").first()


def churned(estate: dict[str, Any], day: int) -> dict[str, Any]:
    """The same subscription a day on: every resource re-tagged by ARM, stamped modified, mid-provisioning."""
    for resource in estate["resources"]:
        resource["etag"] = f'W/"{day:08d}-{resource["name"]}"'
        resource["systemData"] = {
            "createdAt": "2025-01-01T00:00:00Z",
            "lastModifiedAt": f"2026-11-{day:02d}T10:00:00Z",
            "lastModifiedBy": "azure-policy",
            "lastModifiedByType": "Application",
        }
        properties = resource.get("properties")
        if isinstance(properties, dict) and "provisioningState" in properties:
            properties["provisioningState"] = "Updating" if day % 2 else "Succeeded"
    return estate


def storage_account(estate: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in estate["resources"] if r["id"].endswith(f"/storageAccounts/{name}"))


def test_arm_bookkeeping_is_no_drift_but_opening_storage_is(emulator: ArmEmulator) -> None:
    add_account(emulator)
    emulator.load(churned(demo_estate(), 1))
    scan()
    emulator.load(churned(demo_estate(), 2))
    quiet = scan()
    assert not ResourceChange.objects.filter(scan=quiet).exists()

    estate = churned(demo_estate(), 3)
    storage_account(estate, "stprodlogs")["properties"]["allowBlobPublicAccess"] = True
    emulator.load(estate)
    body = drift(scan())
    account = next(c for c in body["resources_changed"] if c["name"] == "stprodlogs")
    assert account["uid"].endswith("/resourceGroups/platform/providers/Microsoft.Storage/storageAccounts/stprodlogs")
    assert {"path": "properties.allowBlobPublicAccess", "before": False, "after": True} in account["fields"]
    assert all("etag" not in f["path"] and "systemData" not in f["path"] for f in account["fields"])
    assert {c["kind"] for c in body["resources_changed"]} == {"modified"}
