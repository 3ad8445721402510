"""Compliance drill-down and report, drift, and cluster stacks."""

from __future__ import annotations

from django.utils import timezone

from frontend.clusters import layer_of, stacks
from posture.findings.models import Finding
from posture.inventory.models import CloudAccount, Resource
from posture.scans.models import Scan


def test_framework_page_counts_controls_by_status(scanned, viewer):
    response = viewer.get("/compliance/test-benchmark-1.0/")
    s = response.context["summary"]
    statuses = {c["id"]: c["status"] for section in s["sections"] for c in section["controls"]}
    assert statuses == {"1.1": "fail", "1.2": "needs_attestation", "2.1": "pass", "2.2": "needs_attestation"}
    html = response.content.decode()
    assert 'href="/compliance/test-benchmark-1.0/controls/1.1/"' in html and "Printable report" in html


def test_control_page_lists_the_failing_resources(scanned, viewer):
    html = viewer.get("/compliance/test-benchmark-1.0/controls/1.1/").content.decode()
    assert "b-public" in html and "b-private" not in html
    assert "Public buckets leak data." in html
    manual = viewer.get("/compliance/test-benchmark-1.0/controls/1.2/").content.decode()
    assert "needs attestation" in manual and "Needs attestation" in manual


def test_scope_by_account_and_team(scanned, viewer):
    assert viewer.get("/compliance/test-benchmark-1.0/?account=test-account").context["summary"]["accounts"] == 1
    assert viewer.get("/compliance/test-benchmark-1.0/?team=nobody").context["summary"]["accounts"] == 0
    response = viewer.get("/compliance/?account=ghost")
    assert response.status_code == 200 and b"No account named" in response.content


def test_printable_report_has_every_control(scanned, viewer):
    html = viewer.get("/compliance/test-benchmark-1.0/report/?account=test-account").content.decode()
    assert "account test-account" in html and "data-print" in html
    for title in ("Buckets are private", "Someone reviews bucket contents", "Users have MFA", "Not evaluated yet"):
        assert title in html


def test_frameworks_list_scores_scanned_providers_only(scanned, viewer):
    rows = viewer.get("/compliance/").context["rows"]
    scored = [r["fw"].id for r in rows if r["summary"] and r["summary"]["accounts"]]
    assert scored == ["test-benchmark-1.0"]
    assert rows[0]["fw"].id == "test-benchmark-1.0"  # scanned frameworks first


def test_drift_defaults_to_the_latest_scan_against_the_previous(scanned, viewer):
    response = viewer.get("/drift/")
    latest, previous = Scan.objects.order_by("-id")[:2]
    assert response.context["scan"] == latest and response.context["previous"] == previous
    html = response.content.decode()
    assert "u-alice" in html and "mfa" in html and "versioning" in html
    better = response.context["d"]["findings_better"]
    assert [b["resource"] for b in better] == ["u-alice"]
    first = viewer.get(f"/drift/?scan={previous.pk}")
    assert first.context["previous"] is None and b"first scan" in first.content
    assert b"showing the latest" in viewer.get("/drift/?scan=abc").content


def _resource(account, type_, uid, **extra):
    now = timezone.now()
    return Resource.objects.create(
        account=account,
        provider=type_.split(".")[0],
        service=type_.split(".")[1],
        region="global",
        type=type_,
        uid=uid,
        name=extra.pop("name", uid),
        config={},
        config_hash="x",
        first_seen=now,
        last_seen=now,
    )


def _failing(resource, severity):
    now = timezone.now()
    return Finding.objects.create(
        account=resource.account,
        rule_id=f"rule.{resource.uid}",
        resource=resource,
        resource_uid=resource.uid,
        status="FAIL",
        severity=severity,
        first_seen=now,
        last_seen=now,
        status_changed_at=now,
        updated_at=now,
    )


def test_layer_of_classifies_types():
    assert layer_of("aws.eks.cluster") == "control_plane"
    assert layer_of("gcp.container.cluster") == "control_plane"
    assert layer_of("aws.eks.nodegroup") == "nodes"
    assert layer_of("kubernetes.core.node") == "nodes"
    assert layer_of("kubernetes.workloads.workload") == "workloads"
    assert layer_of("kubernetes.rbac.binding") == "control_plane"
    assert layer_of("aws.s3.bucket") is None


def seed_clusters() -> tuple[CloudAccount, CloudAccount]:
    """A managed EKS cluster joined to its kubeconfig account, and a lone kubeconfig cluster."""
    aws = CloudAccount.objects.create(provider="aws", name="prod-aws")
    kube = CloudAccount.objects.create(provider="kubernetes", name="prod-kube", labels={"cluster": "payments"})
    lone = CloudAccount.objects.create(provider="kubernetes", name="lab-kube")
    _failing(_resource(aws, "aws.eks.cluster", "arn:eks/payments", name="payments"), "high")
    _failing(_resource(aws, "aws.eks.nodegroup", "arn:ng/1"), "medium")
    _failing(_resource(aws, "aws.s3.bucket", "bucket-1"), "low")
    _failing(_resource(kube, "kubernetes.workloads.workload", "default/deploy/web"), "critical")
    _resource(kube, "kubernetes.core.node", "node-1")
    _resource(lone, "kubernetes.cluster.cluster", "lab")
    return aws, kube


def test_clusters_are_stacks_with_the_findings_behind_each_layer(db, viewer, make_user):
    _, kube = seed_clusters()
    items = stacks(make_user("admin"))
    assert [s.name for s in items] == ["payments", "lab-kube"]
    payments = items[0]
    assert payments.kind == "managed" and payments.k8s_account == kube
    layers = {layer.key: layer for layer in payments.ordered_layers}
    assert list(layers) == ["platform", "control_plane", "nodes", "workloads"]
    assert layers["platform"].failing == {"low": 1}
    assert layers["control_plane"].failing == {"high": 1}
    assert layers["nodes"].failing == {"medium": 1} and layers["nodes"].resources == 2
    assert layers["workloads"].worst == "critical"
    html = viewer.get("/clusters/").content.decode()
    assert "prod-kube" in html and "resource_type=kubernetes.workloads.workload" in html
    assert "no cloud account linked" in html  # the lab cluster
