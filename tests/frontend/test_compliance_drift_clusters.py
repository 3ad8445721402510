"""Compliance drill-down and report, drift, and cluster stacks."""

from __future__ import annotations

from django.utils import timezone

from frontend.clusters import cluster_page, layer_of, owning_cluster, stacks, summary_counts
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
    assert layer_of("kubernetes.nodes.kubelet_config") == "nodes"  # each kubelet's live configuration
    assert layer_of("kubernetes.workloads.workload") == "workloads"
    assert layer_of("kubernetes.rbac.binding") == "control_plane"
    assert layer_of("aws.s3.bucket") is None


EKS = "arn:aws:eks:eu-west-1:111122223333:"


def seed_clusters() -> tuple[CloudAccount, CloudAccount]:
    """A managed EKS cluster joined to its kubeconfig account, and a lone kubeconfig cluster."""
    aws = CloudAccount.objects.create(provider="aws", name="prod-aws")
    kube = CloudAccount.objects.create(provider="kubernetes", name="prod-kube", labels={"cluster": "payments"})
    lone = CloudAccount.objects.create(provider="kubernetes", name="lab-kube")
    _failing(_resource(aws, "aws.eks.cluster", f"{EKS}cluster/payments", name="payments"), "high")
    _failing(_resource(aws, "aws.eks.nodegroup", f"{EKS}nodegroup/payments/ng-1/4ec6"), "medium")
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
    assert layers["platform"].failing == {} and layers["platform"].shared.failing == {"low": 1}
    assert layers["control_plane"].failing == {"high": 1}
    assert layers["nodes"].failing == {"medium": 1} and layers["nodes"].resources == 2
    assert layers["workloads"].worst == "critical"
    html = viewer.get("/clusters/").content.decode()
    assert "prod-kube" in html and "resource_type=kubernetes.workloads.workload" in html
    assert "no cloud account linked" in html  # the lab cluster


def test_node_groups_belong_to_the_cluster_their_id_names():
    aks = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/"
    gke = "//container.googleapis.com/projects/p/locations/l/clusters/"
    clusters = [f"{EKS}cluster/a", f"{EKS}cluster/a-b", f"{aks}a", f"{aks}a-b", f"{gke}a", f"{gke}a-b"]
    assert owning_cluster(f"{EKS}nodegroup/a-b/ng/uuid", clusters) == f"{EKS}cluster/a-b"
    assert owning_cluster(f"{EKS}nodegroup/a/ng/uuid", clusters) == f"{EKS}cluster/a"
    assert owning_cluster(f"{aks.lower()}a-b/agentPools/pool1", clusters) == f"{aks}a-b"
    assert owning_cluster(f"{gke}a/nodePools/default-pool", clusters) == f"{gke}a"
    assert owning_cluster(f"{EKS}nodegroup/gone/ng/uuid", clusters) is None


def test_each_failing_finding_is_counted_once_on_the_clusters_page(db, viewer, make_user):
    """Two clusters in one account, account-wide findings: the page adds up to the distinct failing findings."""
    aws = CloudAccount.objects.create(provider="aws", name="prod-aws")
    for name in ("payments", "search"):
        _failing(_resource(aws, "aws.eks.cluster", f"{EKS}cluster/{name}", name=name), "high")
        for group in ("ng-1", "ng-2"):
            _failing(_resource(aws, "aws.eks.nodegroup", f"{EKS}nodegroup/{name}/{group}/id"), "medium")
    _failing(_resource(aws, "aws.eks.nodegroup", f"{EKS}nodegroup/search/ng-3/id"), "low")
    for uid in ("bucket-1", "bucket-2"):
        _failing(_resource(aws, "aws.s3.bucket", uid), "low")
    _failing(_resource(aws, "aws.iam.root", "root"), "critical")
    muted = _failing(_resource(aws, "aws.s3.bucket", "bucket-muted"), "high")
    Finding.objects.filter(pk=muted.pk).update(muted=True)

    result = cluster_page(make_user("admin"))
    by_name = {s.name: s for s in result.stacks}
    assert [layer.failing_total for layer in by_name["payments"].ordered_layers] == [0, 1, 2, 0]
    assert [layer.failing_total for layer in by_name["search"].ordered_layers] == [0, 1, 3, 0]
    assert by_name["search"].layers["nodes"].resources == 3
    for stack in result.stacks:
        assert stack.failing_total == sum(layer.failing_total for layer in stack.ordered_layers)
    [platform] = result.platforms
    assert platform.failing == {"critical": 1, "low": 2} and platform.shared_by == 2
    distinct = Finding.objects.filter(status="FAIL", muted=False).count()
    assert summary_counts(result)["failing"] == distinct == 10
    html = viewer.get("/clusters/").content.decode()
    assert f"{distinct} failing findings, each counted once" in html
    assert "shared by 2 clusters" in html
