"""python manage.py demo: emulators, accounts, a replayed history (each finding's a real lifecycle); a second run
reuses it; a reset builds it again, with a failing and a passing node setting in every provider."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from frontend.clusters import stacks
from posture.demo.clouds import GcpDemo
from posture.findings.models import ComplianceScore, EventKind, Finding, FindingEvent
from posture.inventory.models import CloudAccount, Resource
from posture.scans.models import Scan
from tests.support.history import invalid_histories

pytestmark = pytest.mark.django_db
LEGACY_WEB = GcpDemo.LEGACY_WEB


def demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def test_demo_builds_history_then_reuses_it_then_resets() -> None:
    out = demo("--scan-days", "2")
    accounts = list(CloudAccount.objects.filter(labels__demo="true"))
    assert accounts, out
    scans = Scan.objects.filter(account__in=accounts)
    assert scans.count() == 2 * len(accounts) and not scans.exclude(state__in=["succeeded", "partial"]).exists()
    days = {s.taken_at.date() for s in ComplianceScore.objects.all()}
    assert len(days) == 2, "each scan is stamped on its own day"
    assert FindingEvent.objects.filter(kind__in=["resolved", "reopened"]).exists(), "history moves"
    assert "sign in as  demo / " in out
    assert_scanned_inside_via_gcp(scans=2)
    assert_image_scans_collected()
    assert_histories_are_lifecycles()

    again = demo()
    assert "reusing it" in again and Scan.objects.count() == scans.count()
    assert CloudAccount.objects.filter(labels__demo="true").count() == len(accounts)

    # An estate replayed before the demo scanned inside a cluster gets the cluster added, scanned once.
    CloudAccount.objects.get(name="legacy-web-gke").delete()
    added = demo()
    assert "added legacy-web-gke: inside " in added, added
    assert_scanned_inside_via_gcp(scans=1)

    demo("--reset", "--scan-days", "1")
    assert Scan.objects.count() == len(accounts)
    assert_each_provider_fails_and_passes_a_node_setting()


def assert_each_provider_fails_and_passes_a_node_setting() -> None:
    """The demo estate exercises the node and kubelet rules in every provider: one node setting fails in each."""
    statuses: dict[str, set[str]] = {}
    for rule_id, status in Finding.objects.values_list("rule_id", "status"):
        statuses.setdefault(rule_id, set()).add(status)
    for rule_id in (
        "kubernetes.nodes.kubelet_anonymous_auth_disabled",
        "aws.eks.nodegroup_kubelet_read_only_port_disabled",
        "gcp.container.node_pool_kubelet_readonly_port_disabled",
        "azure.aks.node_pool_no_unsafe_sysctls",
    ):
        assert statuses.get(rule_id) == {"PASS", "FAIL"}, (rule_id, statuses.get(rule_id))


def assert_histories_are_lifecycles() -> None:
    """Every replayed finding's events are a lifecycle it really went through: opened first, then alternating."""
    kinds = set(FindingEvent.objects.values_list("kind", flat=True))
    assert {EventKind.OPENED, EventKind.RESOLVED} <= kinds, kinds
    failing = Finding.objects.filter(status="FAIL")
    assert failing.exists() and not failing.exclude(events__kind=EventKind.OPENED).exists(), "failing: opened once"
    bad = invalid_histories()
    assert bad == {}, f"{len(bad)} findings with impossible histories, e.g. {next(iter(bad.values()))}"


def assert_image_scans_collected() -> None:
    """Each cloud's scanner reports the demo's four images (emulators.images), each account its own."""
    scans = Resource.objects.filter(type__endswith=".image_scan", gone_at__isnull=True)
    found = {(r.account.name, r.type) for r in scans.select_related("account")}
    assert found == {
        ("aws-production", "aws.ecr_scans.image_scan"),
        ("aws-staging", "aws.ecr_scans.image_scan"),
        ("azure-production", "azure.defender_scans.image_scan"),
        ("gcp-acme", "gcp.artifact_analysis.image_scan"),
    }
    assert scans.count() == 12 + 2  # and each AWS account's unscanned "api" image (status unsupported)
    unscanned = [r.config["_ImageScan"]["status"] for r in scans if r.config["_ImageScan"]["repository"] == "api"]
    assert unscanned == ["unsupported", "unsupported"]


def assert_scanned_inside_via_gcp(scans: int) -> None:
    """The demo's GKE legacy-web is scanned inside with gcp-acme's identity, and its stack shows workloads."""
    inside = CloudAccount.objects.get(name="legacy-web-gke")
    assert (inside.provider, inside.via.name, inside.via_cluster) == ("kubernetes", "gcp-acme", LEGACY_WEB)
    assert inside.labels == {"platform": "gke", "demo": "true"} and inside.team == inside.via.team
    assert list(inside.scans.values_list("state", flat=True)) == ["succeeded"] * scans
    admin = User.objects.get(username="demo")
    stack = next(s for s in stacks(admin) if s.k8s_account == inside)
    assert stack.kind == "managed" and stack.platform_account == inside.via and stack.name == "legacy-web"
    workloads = stack.layers["workloads"]
    assert ("legacy-web-gke", "kubernetes.workloads.workload") in [(a, t) for a, t, _ in workloads.types], workloads
    assert workloads.resources and workloads.failing_total, workloads
    payments = next(s for s in stacks(admin) if s.name == "payments")  # the kubeconfig way in still works
    assert payments.k8s_account.name == "gke-payments-workloads" and payments.layers["workloads"].resources


def test_bad_options_are_refused() -> None:
    with pytest.raises(Exception, match="--scan-days"):
        demo("--scan-days", "0")
