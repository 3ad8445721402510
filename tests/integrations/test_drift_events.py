"""``resource.drifted``: webhooks hear of changed resources (account, type and namespace filters; once per
resource per scan), and an open Jira ticket of a finding on a changed resource gets a comment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from emulators.kubernetes import KubernetesEmulator, demo_estate
from posture.findings.models import Finding
from posture.integrations import tasks
from posture.integrations.models import Delivery, DeliveryStatus, Event, Ticket, WebhookEndpoint
from posture.inventory.models import CloudAccount
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import estate_doc
from tests.integrations.helpers import make_jira, make_webhook
from tests.integrations.test_jira_lifecycle import BUCKET_RULE, comment_text

pytestmark = pytest.mark.django_db
WORKLOAD = "kubernetes.workloads.workload"


@pytest.fixture
def cluster(tmp_path: Path):
    estate = demo_estate()
    with KubernetesEmulator(estate) as emulator:
        kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig", context="demo")
        call_command("accounts", "add", "kubernetes", "--name", "c1", "--kubeconfig", str(kubeconfig))
        yield estate, CloudAccount.objects.get(name="c1")


def drifted(hook) -> set[str]:
    rows = Delivery.objects.filter(webhook=hook, event=Event.RESOURCE_DRIFTED)
    return {row.payload["resource"]["uid"] for row in rows}


def edit_cluster(estate) -> None:
    """A hand edit in each of two namespaces, and a label on the Namespace object ``shop`` itself."""
    miner = next(d for d in estate.objects("Deployment") if d["metadata"]["name"] == "miner")
    miner["spec"]["template"]["spec"]["containers"][0]["image"] = "evil.example.com/miner:2.0"
    web = next(d for d in estate.objects("Deployment") if d["metadata"]["name"] == "web")
    web["metadata"].setdefault("labels", {})["tier"] = "front"
    shop = next(n for n in estate.objects("Namespace") if n["metadata"]["name"] == "shop")
    shop["metadata"]["labels"]["owner"] = "payments"


def test_webhooks_get_each_changed_resource_once_through_their_filters(
    cluster, account, receiver, django_capture_on_commit_callbacks
) -> None:
    estate, c1 = cluster
    drift = Event.RESOURCE_DRIFTED.value
    legacy = make_webhook(receiver, [drift], name="legacy-only", namespaces=["legacy"])
    shop_workloads = make_webhook(
        receiver, [drift], name="shop-workloads", namespaces=["shop"], resource_types=[WORKLOAD]
    )
    namespaces = make_webhook(receiver, [drift], name="namespaces", resource_types=["kubernetes.core.namespace"])
    everything = make_webhook(receiver, [drift], name="everything", accounts=[c1])
    other_account = make_webhook(receiver, [drift], name="other-account", accounts=[account])
    not_asked = make_webhook(receiver, ["scan.finished"], name="scans-only", namespaces=["legacy"])
    with django_capture_on_commit_callbacks(execute=True):
        run_scan(create_scan(c1).pk)
    assert not Delivery.objects.filter(event=Event.RESOURCE_DRIFTED).exists()  # the first scan: nothing to compare
    edit_cluster(estate)
    with django_capture_on_commit_callbacks(execute=True):
        scan = run_scan(create_scan(c1).pk)

    assert drifted(legacy) == {"legacy/Deployment/miner"}
    assert drifted(shop_workloads) == {"shop/Deployment/web"}  # not Namespace/shop: not *in* a namespace
    assert drifted(namespaces) == {"Namespace/shop"}
    assert drifted(everything) == {"legacy/Deployment/miner", "shop/Deployment/web", "Namespace/shop"}
    assert drifted(other_account) == drifted(not_asked) == set()
    sent = [json.loads(r.body) for r in receiver.received if r.headers["Posture-Event"] == drift]
    assert len(sent) == 6 and not Delivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).exists()
    miner = next(p for p in sent if p["resource"]["uid"] == "legacy/Deployment/miner")
    assert miner["resource"]["namespace"] == "legacy" and miner["account"]["name"] == "c1"
    assert miner["change"]["scan_id"] == scan.pk and "spec" in miner["change"]["fields"]

    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep(scan)  # the same scan dispatched again: nothing twice
    assert len([r for r in receiver.received if r.headers["Posture-Event"] == drift]) == 6


def test_the_finding_ticket_hears_its_resource_drifted(jira_cloud, account, estate, scan) -> None:
    connection = make_jira(jira_cloud)
    scan()  # b-public fails (high): SEC-1
    assert Ticket.objects.get(connection=connection).key == "SEC-1"
    doc = estate_doc()
    doc["resources"][0]["config"]["size"] = 2  # b-public changes and still fails
    doc["resources"][3]["config"]["mfa"] = False  # no change to u-alice
    doc["resources"][2]["config"]["versioning"] = True  # b-r2 changes: it has no ticket (the look-alike)
    estate.write(doc)
    second = scan()
    [comment] = [comment_text(c) for c in jira_cloud.issues["SEC-1"].comments]
    assert comment.startswith(f"Posture: b-public drifted (scan {second.pk}): size changed.")
    bucket = Finding.objects.get(rule_id=BUCKET_RULE, resource_uid="b-public")
    [delivery] = Delivery.objects.filter(event=Event.RESOURCE_DRIFTED)
    assert delivery.finding == bucket and delivery.status == DeliveryStatus.SUCCEEDED
    assert len(jira_cloud.calls("POST", "/issue")) == 1  # a comment, never another issue


def test_a_change_that_resolves_the_finding_is_told_once_as_resolved(jira_cloud, account, estate, scan) -> None:
    make_jira(jira_cloud)
    scan()
    estate.write(estate_doc(public=False))  # b-public changes *and* passes: the resolve comment says it
    scan()
    [comment] = [comment_text(c) for c in jira_cloud.issues["SEC-1"].comments]
    assert "passes now" in comment and "drifted" not in comment


def test_a_done_ticket_is_not_told(jira_cloud, account, estate, scan) -> None:
    make_jira(jira_cloud)
    scan()
    Ticket.objects.update(done=True)
    doc = estate_doc()
    doc["resources"][0]["config"]["size"] = 2
    estate.write(doc)
    scan()
    assert jira_cloud.issues["SEC-1"].comments == []
    assert not Delivery.objects.filter(event=Event.RESOURCE_DRIFTED).exists()


def test_the_drift_filters_through_the_api(user_with_role, receiver) -> None:
    admin = APIClient()
    admin.force_authenticate(user_with_role("admin"))
    body = {"name": "k8s-drift", "url": receiver.url, "secret": "s" * 20, "events": ["resource.drifted"]}
    good = {**body, "resource_types": [WORKLOAD], "namespaces": ["shop", "kube-system"]}
    created = admin.post("/api/v1/integrations/webhooks/", good, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["resource_types"], created.json()["namespaces"]) == ([WORKLOAD], ["shop", "kube-system"])
    for field, value in (("namespaces", ["Shop_Prod"]), ("resource_types", ["workload"])):
        bad = admin.post("/api/v1/integrations/webhooks/", {**body, "name": "bad", field: value}, format="json")
        assert bad.status_code == 400 and field in bad.json()
    assert list(WebhookEndpoint.objects.values_list("name", flat=True)) == ["k8s-drift"]
