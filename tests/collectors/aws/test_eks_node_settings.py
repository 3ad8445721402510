"""EKS node groups' kubelet settings from their launch templates (moto), and the user data parser."""

from __future__ import annotations

import base64

import pytest

from collectors.aws import PROVIDER
from collectors.aws.eks_nodes import kubelet_settings
from collectors.records import Target
from collectors.run import collect, plan
from emulators.aws.estate import BOOTSTRAP_USER_DATA, NODEADM_USER_DATA, REGION, build_estate
from posture.rules.evaluate import evaluate
from posture.rules.registry import RULES
from posture.rules.verdicts import Status
from tests.collectors.aws.conftest import local_client


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def nodegroups(mocked: None) -> dict[str, dict]:
    uids = build_estate(local_client)
    target = Target(provider="aws", name="t", regions=(REGION,))
    session = PROVIDER.connect(target)
    units = [u for u in plan(PROVIDER, session, target) if u.service == "eks"]
    result = collect(PROVIDER, session, units)
    assert result.errors == []
    records = {r.uid: r for r in result.records if r.type == "aws.eks.nodegroup"}
    return {"records": records, "uids": uids}


def test_the_launch_template_overrides_are_read_and_nothing_else_is_kept(nodegroups) -> None:
    records, uids = nodegroups["records"], nodegroups["uids"]
    legacy = records[uids["nodegroup_legacy"]].config
    assert legacy["_KubeletSettings"]["settings"] == {"readOnlyPort": 10255, **ANONYMOUS_ON}
    assert legacy["_KubeletSettings"]["customAmi"] is False
    assert "hunter2" not in repr(legacy) and "UserData" not in repr(legacy)
    api = records[uids["nodegroup_api"]].config
    assert api["_KubeletSettings"]["settings"] == {"eventRecordQPS": 10}
    assert "_KubeletSettings" not in records[uids["nodegroup"]].config  # no launch template


def test_rules_fail_the_overrides_and_pass_the_ami_defaults(nodegroups) -> None:
    records, uids = nodegroups["records"], nodegroups["uids"]
    results = {(r.rule_id, r.resource_uid): r.status for r in evaluate(list(records.values()), RULES)}
    port = "aws.eks.nodegroup_kubelet_read_only_port_disabled"
    assert results[(port, uids["nodegroup_legacy"])] == Status.FAIL
    assert results[(port, uids["nodegroup_api"])] == Status.PASS
    assert results[(port, uids["nodegroup"])] == Status.PASS
    assert results[("aws.eks.nodegroup_kubelet_anonymous_auth_disabled", uids["nodegroup_legacy"])] == Status.FAIL
    assert results[("aws.eks.nodegroup_kubelet_event_record_qps", uids["nodegroup_api"])] == Status.PASS


def test_an_unreadable_launch_template_is_an_error_on_the_node_group(mocked: None, monkeypatch) -> None:
    build_estate(local_client)
    from collectors.aws import containers

    def refuse(ec2, template):
        raise PermissionError("denied")

    monkeypatch.setattr(containers, "launch_template_kubelet", refuse)
    target = Target(provider="aws", name="t", regions=(REGION,))
    session = PROVIDER.connect(target)
    result = collect(PROVIDER, session, [u for u in plan(PROVIDER, session, target) if u.service == "eks"])
    legacy = next(r for r in result.records if r.name == "prod/legacy")
    assert legacy.config["_errors"]["LaunchTemplate"]
    statuses = {r.rule_id: r.status for r in evaluate([legacy], RULES)}
    assert statuses["aws.eks.nodegroup_kubelet_read_only_port_disabled"] == Status.ERROR


ANONYMOUS_ON = {"authentication": {"anonymous": {"enabled": True}}}
BOOTSTRAP = "#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args "
NODE_CONFIG = """apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  kubelet:
    config:
      readOnlyPort: 10255
      authentication: {anonymous: {enabled: false}, webhook: {enabled: true}}
    flags: ['--streaming-connection-idle-timeout=0']
"""
FORMS = [
    (BOOTSTRAP_USER_DATA, {"readOnlyPort": 10255, **ANONYMOUS_ON}),
    (NODEADM_USER_DATA, {"eventRecordQPS": 10}),
    (BOOTSTRAP + '"--authorization-mode AlwaysAllow"', {"authorization": {"mode": "AlwaysAllow"}}),
    (
        BOOTSTRAP + "'--protect-kernel-defaults --rotate-certificates=false'",
        {"protectKernelDefaults": True, "rotateCertificates": False},
    ),
    (
        BOOTSTRAP + "'--feature-gates=Foo=true,RotateKubeletServerCertificate=false'",
        {"featureGates": {"RotateKubeletServerCertificate": False}},
    ),
    (BOOTSTRAP + "'--read-only-port-x=1 --event-qps-burst=3'", {}),
    (
        NODE_CONFIG,
        {
            "readOnlyPort": 10255,
            "authentication": {"anonymous": {"enabled": False}},
            "streamingConnectionIdleTimeout": "0",
        },
    ),
]


@pytest.mark.parametrize(("user_data", "expected"), FORMS)
def test_user_data_forms(user_data: str, expected: dict) -> None:
    assert kubelet_settings(b64(user_data)) == expected


@pytest.mark.parametrize("junk", ["not base64 at all!", b64("kind: NodeConfig\nspec: [unclosed")])
def test_junk_user_data_is_refused(junk: str) -> None:
    with pytest.raises(ValueError):
        kubelet_settings(junk)
