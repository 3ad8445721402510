"""The image rules' two limits come from the environment, like the other Kubernetes rule settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collectors.records import ResourceRecord
from posture.rules.evaluate import RuleContext
from posture.rules.packs.kubernetes.image_vulnerabilities import image_recent, scan_current
from posture.rules.packs.kubernetes.settings import rule_settings


def workload(scanned_days_ago: int, pushed_days_ago: int) -> ResourceRecord:
    now = datetime.now(UTC)
    summary = {
        "scanner": "trivy",
        "status": "complete",
        "scanned_at": (now - timedelta(days=scanned_days_ago)).isoformat(),
        "pushed_at": (now - timedelta(days=pushed_days_ago)).isoformat(),
    }
    config = {"kind": "Deployment", "_imageScans": {"sha256:" + "a" * 64: summary}}
    kind = "kubernetes.workloads.workload"
    return ResourceRecord("kubernetes", "workloads", kind, "ns/Deployment/w", "w", config=config)


def test_defaults_and_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTURE_K8S_IMAGE_SCAN_MAX_AGE_DAYS", raising=False)
    monkeypatch.delenv("POSTURE_K8S_IMAGE_MAX_AGE_DAYS", raising=False)
    assert (rule_settings().image_scan_max_age_days, rule_settings().image_max_age_days) == (30, 180)
    record = workload(scanned_days_ago=10, pushed_days_ago=100)
    ctx = RuleContext([record])
    assert (scan_current(record, ctx).status, image_recent(record, ctx).status) == ("PASS", "PASS")
    monkeypatch.setenv("POSTURE_K8S_IMAGE_SCAN_MAX_AGE_DAYS", "7")
    monkeypatch.setenv("POSTURE_K8S_IMAGE_MAX_AGE_DAYS", "90")
    assert (scan_current(record, ctx).status, image_recent(record, ctx).status) == ("FAIL", "FAIL")
    assert "limit" not in scan_current(record, ctx).message and "7 days" in scan_current(record, ctx).message
