"""AKS agent pools' custom kubelet configuration through azure-mgmt-containerservice, and the sysctl rule."""

from __future__ import annotations

from azure.mgmt.containerservice import models

from collectors.azure import PROVIDER
from collectors.azure.session import AzureSession
from collectors.run import collect, plan
from emulators.azure import ArmEmulator
from emulators.azure.demo import AKS_KUBELET
from posture.rules.evaluate import evaluate
from posture.rules.registry import RULES
from posture.rules.verdicts import Status
from tests.collectors.azure.conftest import target

RULE = "azure.aks.node_pool_no_unsafe_sysctls"


def test_pools_carry_their_kubelet_config_and_unsafe_sysctls_fail(session: AzureSession, emulator: ArmEmulator) -> None:
    units = [u for u in plan(PROVIDER, session, target(emulator)) if u.service == "aks"]
    result = collect(PROVIDER, session, units)
    assert result.errors == []
    pools = {r.uid.split("/managedClusters/")[1]: r for r in result.records if r.type == "azure.aks.agent_pool"}
    batch = pools["aks-legacy/agentPools/batch"].config["properties"]["kubeletConfig"]
    assert batch == AKS_KUBELET["aks-legacy/batch"]
    parsed = models.KubeletConfig(batch)  # the SDK's own model reads the emulator's field names
    assert parsed.allowed_unsafe_sysctls == batch["allowedUnsafeSysctls"] and parsed.pod_max_pids == -1
    assert pools["aks-prod/agentPools/apps"].config["properties"]["kubeletConfig"]["cpuManagerPolicy"] == "static"
    results = {(r.rule_id, r.resource_uid): r.status for r in evaluate(list(pools.values()), RULES)}
    assert results[(RULE, pools["aks-legacy/agentPools/batch"].uid)] == Status.FAIL
    assert results[(RULE, pools["aks-prod/agentPools/apps"].uid)] == Status.PASS
    assert results[(RULE, pools["aks-prod/agentPools/system"].uid)] == Status.PASS
