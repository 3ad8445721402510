"""A scan reads each list once: ReplicaSets and Jobs serve both the pods' owners and their own workloads."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from collectors.kubernetes.provider import KubernetesProvider, KubernetesSession
from collectors.records import Target
from collectors.run import collect, plan
from emulators.kubernetes import KubernetesEmulator


def test_no_page_is_requested_twice_and_bare_replica_sets_and_jobs_are_still_workloads(
    provider: KubernetesProvider, session: KubernetesSession, emulator: KubernetesEmulator
) -> None:
    estate = emulator.estate
    pod_spec = {"containers": [{"name": "app", "image": "busybox:1.36"}]}
    bare_rs = estate.add("ReplicaSet", "bare-rs", "shop", spec={"template": {"spec": pod_spec}})
    estate.pods(estate.owner_ref("apps/v1", "ReplicaSet", bare_rs), "shop", "bare-rs", pod_spec, 2, timedelta(hours=1))
    estate.add("Job", "one-off", "legacy", spec={"template": {"spec": pod_spec}})
    collection = collect(provider, session, plan(provider, session, Target("kubernetes", "demo")))
    assert collection.errors == []
    workloads = {r.uid: r.config for r in collection.records if r.type == "kubernetes.workloads.workload"}
    assert {"shop/ReplicaSet/bare-rs", "legacy/Job/one-off"} <= set(workloads)
    assert workloads["shop/ReplicaSet/bare-rs"]["_podCount"] == 2
    assert "legacy/Job/backup-28801" not in workloads  # run by the CronJob: folded into it, as before
    repeated = {path: n for path, n in Counter(emulator.requests).items() if n > 1}
    assert repeated == {}
    assert sum(p.startswith("/apis/apps/v1/replicasets") for p in emulator.requests) >= 2  # paged (2 a page)
