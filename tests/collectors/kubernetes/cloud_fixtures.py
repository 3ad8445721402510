"""Shared steps of the cloud-identity tests: the command line, and what a scanned cluster must show."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from collectors.failures import words
from posture.findings.models import ComplianceSnapshot, Finding
from posture.scans.models import Scan


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def scan(name: str) -> tuple[Scan, str]:
    """Scan ``name`` from the command line; the summary it printed (a failed scan exits 1)."""
    out = StringIO()
    try:
        call_command("scan", name, stdout=out)
    except SystemExit as exc:
        assert exc.code == 1
    return Scan.objects.filter(account__name=name).latest("id"), out.getvalue()


def listed_clusters(cloud: str) -> list[dict]:
    return json.loads(run("accounts", "clusters", cloud, "--format", "json"))


def assert_cluster_scanned(name: str, managed_framework: str) -> None:
    """The cluster scan found CIS Kubernetes / PSS failures and scored the managed benchmark too."""
    scan_row = Scan.objects.filter(account__name=name).latest("id")
    assert scan_row.state == "succeeded", (scan_row.state, scan_row.errors, scan_row.message)
    failing = set(Finding.objects.filter(account__name=name, status="FAIL").values_list("rule_id", "resource__uid"))
    assert ("kubernetes.workloads.privileged_containers", "legacy/Deployment/miner") in failing
    assert ("kubernetes.rbac.cluster_admin_bound_narrowly", "ClusterRoleBinding/ci-admin") in failing
    frameworks = set(ComplianceSnapshot.objects.filter(account__name=name).values_list("framework_id", flat=True))
    assert {"cis-kubernetes-2.0", "k8s-pod-security-standards", managed_framework} <= frameworks
    managed = ComplianceSnapshot.objects.filter(account__name=name, framework_id=managed_framework)
    assert managed.filter(failed__gt=0).exists() or managed.filter(passed__gt=0).exists()


def assert_denied(name: str, output: str) -> Scan:
    scan_row = Scan.objects.filter(account__name=name).latest("id")
    assert scan_row.state == "failed"
    kinds = {e["kind"] for e in scan_row.errors} or {"denied" if words("denied") in scan_row.message else "?"}
    assert kinds == {"denied"}, (scan_row.errors, scan_row.message)
    assert "denied" in output
    return scan_row
