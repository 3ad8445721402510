"""Drift on a cluster: what the API server and the controllers move by themselves is no drift; an edit is."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from emulators.kubernetes import KubernetesEmulator
from emulators.kubernetes.estate import timestamp
from posture.inventory.models import CloudAccount, ResourceChange
from posture.scans.drift import drift
from posture.scans.models import Scan

pytestmark = pytest.mark.django_db


def scan() -> Scan:
    call_command("scan", "c1")
    return Scan.objects.order_by("-id").first()


def churn(emulator: KubernetesEmulator) -> None:
    """A day in a cluster's life: every object's bookkeeping moves, statuses report, a workload's pods roll."""
    estate = emulator.estate
    estate.now += timedelta(days=1)
    for objects in estate._objects.values():
        for obj in objects:
            estate.resource_version += 1
            meta = obj["metadata"]
            meta["resourceVersion"] = str(estate.resource_version)
            meta["creationTimestamp"] = timestamp(estate.now)  # as the emulator reports it: relative to now
            meta["generation"] = meta.get("generation", 1) + 1
            meta["managedFields"] = [{"manager": "kube-controller-manager", "time": timestamp(estate.now)}]
            if isinstance(obj.get("status"), dict):
                obj["status"] = {**obj["status"], "observedGeneration": meta["generation"]}
    for node in estate.objects("Node"):
        node.setdefault("status", {})["conditions"] = [
            {"type": "Ready", "status": "True", "lastHeartbeatTime": timestamp(estate.now)}
        ]
    for pod in estate.objects("Pod"):
        if pod["metadata"].get("ownerReferences"):  # controllers' pods come and go; a bare pod stays
            pod["metadata"]["name"] += "-x"
            pod["status"]["startTime"] = timestamp(estate.now)


def find(estate, kind: str, name: str, namespace: str) -> dict:
    return next(
        o
        for o in estate.objects(kind)
        if o["metadata"]["name"] == name and o["metadata"].get("namespace", "") == namespace
    )


def test_bookkeeping_and_rolling_pods_are_no_drift_but_edits_are(emulator: KubernetesEmulator, kubeconfig: Path):
    call_command("accounts", "add", "kubernetes", "--name", "c1", "--kubeconfig", str(kubeconfig))
    scan()
    churn(emulator)
    quiet = scan()
    assert not ResourceChange.objects.filter(scan=quiet).exists()
    assert drift(quiet)["resources_changed"] == []

    web = find(emulator.estate, "Deployment", "web", "shop")
    container = web["spec"]["template"]["spec"]["containers"][0]
    before_image = container["image"]
    container["image"] = "ghcr.io/acme/web:2.0"
    container["securityContext"] = {**container.get("securityContext", {}), "privileged": True}
    reader = find(emulator.estate, "Role", "web-reader", "shop")
    reader["rules"].append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]})
    churn(emulator)
    edited = scan()
    body = drift(edited)
    changes = {c["uid"]: c for c in body["resources_changed"]}
    assert set(changes) == {"shop/Deployment/web", "shop/Role/web-reader"}
    web_fields = {f["path"]: (f["before"], f["after"]) for f in changes["shop/Deployment/web"]["fields"]}
    assert web_fields["spec.template.spec.containers.0.image"] == (before_image, "ghcr.io/acme/web:2.0")
    assert web_fields["spec.template.spec.containers.0.securityContext.privileged"][1] is True
    assert changes["shop/Role/web-reader"]["fields"] == [
        {"path": "rules.1", "before": None, "after": {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}}
    ]
    assert body["counts"] == {"modified": 2, "recreated": 0, "appeared": 0, "gone": 0}


def test_a_deleted_and_recreated_object_says_so(emulator: KubernetesEmulator, kubeconfig: Path):
    call_command("accounts", "add", "kubernetes", "--name", "c1", "--kubeconfig", str(kubeconfig))
    scan()
    debug = find(emulator.estate, "Pod", "debug", "default")
    debug["metadata"]["uid"] = "0f0f0f0f-0000-4000-8000-000000000001"
    emulator.estate.objects("ConfigMap").pop()
    emulator.estate.add("ServiceAccount", "newcomer", "shop")
    body = drift(scan())
    kinds = {c["uid"]: c["kind"] for c in body["resources_changed"]}
    assert kinds["default/Pod/debug"] == "recreated"
    assert kinds["shop/ServiceAccount/newcomer"] == "appeared"
    assert "gone" in kinds.values()
    assert CloudAccount.objects.get(name="c1").scans.count() == 2
