"""GKE node pools' kubelet configuration through the real container client (REST) and the rules over it."""

from __future__ import annotations

from collectors.registry import REGISTRY
from emulators.gcp import GcpEmulator
from posture.rules.evaluate import evaluate
from posture.rules.registry import RULES
from posture.rules.verdicts import Status
from tests.collectors.gcp.conftest import session_for

PORT = "gcp.container.node_pool_kubelet_readonly_port_disabled"


def test_node_pools_carry_their_kubelet_config_and_the_port_rule_reads_it(emulator: GcpEmulator) -> None:
    spec = next(s for s in REGISTRY.collectors("gcp") if s.service == "container")
    records = list(spec.fn(session_for(emulator, projects="acme-prod,acme-sandbox"), "global"))
    pools = {r.name: r for r in records if r.type == "gcp.container.node_pool"}
    kept = pools["payments/default-pool"].config["config"]["kubeletConfig"]
    assert kept["insecureKubeletReadonlyPortEnabled"] is False and kept["cpuManagerPolicy"] == "none"
    cluster = next(r for r in records if r.name == "payments")
    defaults = cluster.config["nodePoolDefaults"]["nodeConfigDefaults"]["nodeKubeletConfig"]
    assert defaults == {"insecureKubeletReadonlyPortEnabled": False}
    assert pools["legacy-web/pool-1"].config["config"]["kubeletConfig"]["insecureKubeletReadonlyPortEnabled"] is True
    results = {(r.rule_id, r.resource_uid): r.status for r in evaluate(list(pools.values()), RULES)}
    assert results[(PORT, pools["payments/default-pool"].uid)] == Status.PASS
    assert results[(PORT, pools["payments/untrusted"].uid)] == Status.PASS
    assert results[(PORT, pools["legacy-web/pool-1"].uid)] == Status.FAIL
    assert results[("gcp.container.node_pool_supported_node_image", pools["legacy-web/pool-1"].uid)] == Status.PASS
