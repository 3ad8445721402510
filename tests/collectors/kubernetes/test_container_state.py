"""What the workloads collector records of running containers: digests, restarts, running pods' age, and the
last-applied comparison (paths only: the applied copy, which may hold secrets, is never kept)."""

from __future__ import annotations

import json

from collectors.kubernetes.applied import LAST_APPLIED, differing_paths, last_applied_drift
from collectors.kubernetes.provider import KubernetesProvider, KubernetesSession
from collectors.kubernetes.workloads import oldest_running_start
from collectors.records import Target
from collectors.run import collect, plan
from emulators.kubernetes import KubernetesEmulator


def workloads(provider: KubernetesProvider, session: KubernetesSession) -> dict:
    collection = collect(provider, session, plan(provider, session, Target("kubernetes", "demo")))
    return {r.uid: r for r in collection.records if r.type == "kubernetes.workloads.workload"}


def test_pods_carry_image_digest_and_restarts(provider, session, emulator: KubernetesEmulator) -> None:
    records = workloads(provider, session)
    miner = records["legacy/Deployment/miner"].config["_pods"][0]["containers"][0]
    assert miner["image"] == "evil.example.com/miner:latest"
    assert miner["imageID"].startswith("evil.example.com/miner@sha256:")
    assert miner["restartCount"] == 3
    falco = {p["name"]: p["containers"][0]["imageID"] for p in records["monitoring/DaemonSet/falco"].config["_pods"]}
    assert falco["falco-00001"].endswith("@sha256:" + "0f" * 32)
    assert not falco["falco-00000"].endswith("0f" * 32)


def test_last_applied_is_compared_and_never_kept(provider, session, emulator: KubernetesEmulator) -> None:
    records = workloads(provider, session)
    assert records["shop/Deployment/web"].config["_lastApplied"] == {"fields": [], "count": 0}
    miner = records["legacy/Deployment/miner"].config
    assert miner["_lastApplied"] == {"fields": ["spec.template.spec.containers.0.image"], "count": 1}
    stored = json.dumps([r.config for r in records.values()])
    assert LAST_APPLIED not in stored
    assert "hunter2" not in stored  # the applied copy holds the literal password too
    assert "miner:1.0" not in stored  # nor is the applied image kept: only the path that differs
    assert "_lastApplied" not in records["legacy/CronJob/backup"].config  # never applied: nothing to compare


def test_server_defaults_are_not_drift_but_removed_or_changed_fields_are() -> None:
    applied = {"template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}
    live = {"template": {"spec": {"containers": [{"name": "a", "image": "x:1", "imagePullPolicy": "IfNotPresent"}]}}}
    assert differing_paths(applied, live, "spec") == []
    live["template"]["spec"]["containers"].append({"name": "sidecar", "image": "y"})
    assert differing_paths(applied, live, "spec") == ["spec.template.spec.containers"]
    assert differing_paths({"paused": False}, {}, "spec") == ["spec.paused"]


def test_replicas_are_left_to_autoscalers_and_junk_is_an_error() -> None:
    def obj(applied: str) -> dict:
        return {"metadata": {"annotations": {LAST_APPLIED: applied}}, "spec": {"replicas": 7}}

    assert last_applied_drift(obj(json.dumps({"spec": {"replicas": 2}}))) == {"fields": [], "count": 0}
    assert last_applied_drift(obj("{not json"))["error"]
    assert last_applied_drift({"metadata": {}}) is None


def test_only_running_pods_count_for_age() -> None:
    pods = [
        {"startTime": "2020-01-01T00:00:00Z", "phase": "Succeeded"},
        {"startTime": "2024-05-01T00:00:00Z", "phase": "Running"},
        {"startTime": "2019-01-01T00:00:00Z", "phase": "Failed"},
    ]
    assert oldest_running_start(pods) == "2024-05-01T00:00:00Z"
    assert oldest_running_start(pods[:1]) is None
