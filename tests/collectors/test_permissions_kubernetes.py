"""Kubernetes: every (verb, resource) a collector asks for is declared, and the printed ClusterRole is enough.

The calls are the emulator's own request log while each collector runs; the ClusterRole is checked by the
emulator's RBAC (a service account token, its ClusterRoleBinding and the role's rules).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from django.core.management import call_command

import collectors.kubernetes  # noqa: F401  (registers the provider and collectors)
from collectors import REGISTRY
from collectors.records import Target
from collectors.run import collect, plan
from emulators.kubernetes import KubernetesEmulator, demo_estate
from emulators.kubernetes.server import LIST_PATH

TOKEN = "posture-scanner-token"
KUBE_SYSTEM_ONLY = {
    "apiGroups": [""],
    "resources": ["namespaces"],
    "verbs": ["get", "list"],
    "resourceNames": ["kube-system"],
}
RBAC = "rbac.authorization.k8s.io"


def asked(emulator: KubernetesEmulator, start: int = 0) -> set[str]:
    """``verb resource.group`` of every resource request since ``start``; discovery and /version left out."""
    found = set()
    for raw in emulator.requests[start:]:
        match = LIST_PATH.match(urlparse(raw).path)
        kind = emulator._kind_for(match)
        if match is None or kind is None:
            continue
        verb = "get" if match.group("name") else "list"
        found.add(f"{verb} {kind.plural}.{kind.group}" if kind.group else f"{verb} {kind.plural}")
    return found


def connect(emulator: KubernetesEmulator, tmp_path: Path, token: str = "") -> tuple[Any, Any, Target]:
    config = emulator.kubeconfig()
    if token:
        config["users"][0]["user"] = {"token": token}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    provider = REGISTRY.provider("kubernetes")
    target = Target("kubernetes", "c", credentials={"kubeconfig": str(path)})
    return provider, provider.connect(target), target


@pytest.fixture
def emulator() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator(demo_estate()) as emu:
        yield emu


def test_every_request_a_collector_makes_is_declared(emulator: KubernetesEmulator, tmp_path: Path) -> None:
    provider, session, _ = connect(emulator, tmp_path)
    undeclared, unused = {}, {}
    for spec in REGISTRY.collectors("kubernetes"):
        start = len(emulator.requests)
        list(spec.fn(session, "global"))
        calls = asked(emulator, start)
        if calls - set(spec.permissions):
            undeclared[spec.service] = sorted(calls - set(spec.permissions))
        if set(spec.permissions) - calls:
            unused[spec.service] = sorted(set(spec.permissions) - calls)
    assert not undeclared, f"requests not declared in the collector's permissions=(...): {undeclared}"
    assert not unused, f"declared but never requested: {unused}"
    start = len(emulator.requests)
    provider.identify(session)
    assert asked(emulator, start) == set(provider.permissions) == {"get namespaces"}


def printed_cluster_role() -> dict[str, Any]:
    out = StringIO()
    call_command("permissions", "kubernetes", stdout=out, stderr=StringIO())
    return yaml.safe_load(out.getvalue())


def rbac_cluster(role: dict[str, Any]) -> KubernetesEmulator:
    """The demo cluster with ``role`` bound to the service account posture/scanner, whose token is TOKEN."""
    estate = demo_estate()
    body = {k: v for k, v in role.items() if k not in ("apiVersion", "kind", "metadata")}
    estate.add("ClusterRole", role["metadata"]["name"], **body)
    estate.add("ServiceAccount", "scanner", "posture")
    estate.add(
        "ClusterRoleBinding",
        "posture-reader",
        roleRef={"apiGroup": RBAC, "kind": "ClusterRole", "name": role["metadata"]["name"]},
        subjects=[{"kind": "ServiceAccount", "name": "scanner", "namespace": "posture"}],
    )
    return KubernetesEmulator(estate, token="", service_accounts={TOKEN: "posture:scanner"})


def scan(emulator: KubernetesEmulator, tmp_path: Path) -> Any:
    provider, session, target = connect(emulator, tmp_path, TOKEN)
    provider.identify(session)
    return collect(provider, session, plan(provider, session, target))


def test_a_scan_with_exactly_the_printed_cluster_role_completes(tmp_path: Path) -> None:
    role = printed_cluster_role()
    assert {verb for rule in role["rules"] for verb in rule["verbs"]} <= {"get", "list", "watch"}
    assert all("*" not in rule["resources"] + rule["apiGroups"] for rule in role["rules"])

    with rbac_cluster(role) as cluster:
        result = scan(cluster, tmp_path)

    assert result.errors == []
    assert cluster.forbidden == []
    assert {u.service for u in result.units} == {s.service for s in REGISTRY.collectors("kubernetes")}
    assert any(r.type == "kubernetes.core.secret" for r in result.records)


def test_a_scan_without_one_rule_records_that_service_as_denied(tmp_path: Path) -> None:
    role = printed_cluster_role()
    batch = copy.deepcopy(role)
    batch["rules"] = [rule for rule in role["rules"] if rule["apiGroups"] != ["batch"]]
    assert len(batch["rules"]) == len(role["rules"]) - 1

    with rbac_cluster(batch) as cluster:
        result = scan(cluster, tmp_path)

    assert [(e.service, e.kind) for e in result.errors] == [("workloads", "denied")]
    assert result.errors[0].error.endswith(
        "the credentials lack list jobs.batch; `manage.py permissions kubernetes` prints what a scan needs"
    )
    assert TOKEN not in result.errors[0].error
    assert cluster.forbidden == ["list jobs.batch"]


def test_a_token_bound_to_nothing_reads_only_discovery(tmp_path: Path) -> None:
    with KubernetesEmulator(demo_estate(), token="", service_accounts={TOKEN: "posture:scanner"}) as cluster:
        provider, session, _ = connect(cluster, tmp_path, TOKEN)
        with pytest.raises(Exception) as refused:
            provider.identify(session)
    assert provider.classify_error(refused.value) == "denied"
    assert cluster.forbidden == ["get namespaces"]


@pytest.mark.parametrize(
    ("rule", "path", "allowed"),
    [
        ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, "/apis/apps/v1/deployments", True),
        ({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}, "/apis/apps/v1/deployments", False),
        ({"apiGroups": [""], "resources": ["deployments"], "verbs": ["list"]}, "/apis/apps/v1/deployments", False),
        (KUBE_SYSTEM_ONLY, "/api/v1/namespaces/kube-system", True),
        (KUBE_SYSTEM_ONLY, "/api/v1/namespaces/default", False),
        (KUBE_SYSTEM_ONLY, "/api/v1/namespaces", False),  # resourceNames never grant a list
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}, "/api/v1/namespaces/shop/pods", True),
    ],
)
def test_the_emulator_evaluates_rules_as_the_api_server_does(rule: dict, path: str, allowed: bool) -> None:
    with rbac_cluster({"metadata": {"name": "r"}, "rules": [rule]}) as cluster:  # answers called directly
        code, body = cluster.answer(path, f"Bearer {TOKEN}")
        assert (code == 200) is allowed
        if not allowed:
            assert code == 403 and body["reason"] == "Forbidden"
            assert 'User "system:serviceaccount:posture:scanner" cannot' in body["message"]
        assert cluster.answer("/version", f"Bearer {TOKEN}")[0] == 200  # discovery stays open
        assert cluster.answer(path, "Bearer someone-else")[0] == 401


def test_a_binding_to_another_account_grants_nothing() -> None:
    estate = demo_estate()
    estate.add("ClusterRole", "all", rules=[{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
    estate.add(
        "ClusterRoleBinding",
        "other",
        roleRef={"apiGroup": RBAC, "kind": "ClusterRole", "name": "all"},
        subjects=[{"kind": "ServiceAccount", "name": "scanner", "namespace": "elsewhere"}],
    )
    with KubernetesEmulator(estate, token="admin", service_accounts={TOKEN: "posture:scanner"}) as cluster:
        assert cluster.answer("/api/v1/pods", f"Bearer {TOKEN}")[0] == 403
        assert cluster.answer("/api/v1/pods", "Bearer admin")[0] == 200  # the static token is not subject to RBAC
