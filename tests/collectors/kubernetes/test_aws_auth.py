"""aws-auth: the mappings kept on the ConfigMap record, and what cannot be read said so."""

from __future__ import annotations

from collectors.kubernetes.convert import record_from_object

MAP_ROLES = """- rolearn: arn:aws:iam::123456789012:role/eks-node
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
- rolearn: arn:aws:iam::123456789012:role/ops
  username: ops
  groups: [system:masters]
"""


def aws_auth(data: dict[str, str], namespace: str = "kube-system") -> dict:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": namespace}}
    record = record_from_object({**obj, "data": data})
    assert record is not None
    return record.config


def test_the_mappings_are_kept_with_their_groups_and_the_values_are_not() -> None:
    config = aws_auth({"mapRoles": MAP_ROLES, "mapUsers": "[]"})
    assert config["_awsAuthMappings"] == [
        {
            "key": "mapRoles",
            "arn": "arn:aws:iam::123456789012:role/eks-node",
            "username": "system:node:{{EC2PrivateDNSName}}",
            "groups": ["system:bootstrappers", "system:nodes"],
        },
        {
            "key": "mapRoles",
            "arn": "arn:aws:iam::123456789012:role/ops",
            "username": "ops",
            "groups": ["system:masters"],
        },
    ]
    assert "data" not in config and "_errors" not in config


def test_a_value_that_is_not_a_list_of_mappings_is_an_error_and_the_rest_is_read() -> None:
    config = aws_auth({"mapRoles": MAP_ROLES, "mapUsers": "userarn: [unclosed", "mapAccounts": "- '123456789012'"})
    assert [m["arn"] for m in config["_awsAuthMappings"]][-1] == "arn:aws:iam::123456789012:role/ops"
    assert config["_errors"]["awsAuth"].startswith("mapUsers is not YAML")
    assert aws_auth({"mapRoles": "just a string"})["_errors"] == {"awsAuth": "mapRoles is not a list of mappings"}


def test_only_kube_system_aws_auth_is_parsed() -> None:
    assert "_awsAuthMappings" not in aws_auth({"mapRoles": MAP_ROLES}, namespace="tools")
