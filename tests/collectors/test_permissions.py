"""The permission declarations as a whole: present, read-only, turned into the documents each cloud takes,
and a refusal named only by what was declared."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from collectors import REGISTRY, load_providers
from collectors.permissions import (
    NotReadOnly,
    azure_role,
    check_read_only,
    cluster_role,
    denied_hint,
    document,
    grant_hint,
    lacking,
    required,
)
from collectors.registry import Registry

load_providers()
PROVIDERS = ("aws", "azure", "gcp", "kubernetes")
NEEDS_NOTHING = {("kubernetes", "cluster")}  # /version: every authenticated user may read it


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_collector_declares_its_permissions_and_all_are_read_only(provider: str) -> None:
    silent = [s.service for s in REGISTRY.collectors(provider) if not s.permissions]
    assert [(provider, s) for s in silent] == [p for p in NEEDS_NOTHING if p[0] == provider]
    check_read_only(provider, required(provider))


def test_a_write_permission_is_refused() -> None:
    registry = Registry()
    registry.add_provider(REGISTRY.provider("aws"))
    registry.collector("aws", "bad", permissions=("s3:PutBucketPolicy", "s3:GetBucketPolicy"))(lambda s, r: [])
    with pytest.raises(NotReadOnly, match="s3:PutBucketPolicy"):
        document("aws", registry)
    with pytest.raises(NotReadOnly, match="create pods"):
        check_read_only("kubernetes", ["list pods", "create pods"])


def test_required_names_who_needs_each_permission() -> None:
    needs = required("aws")
    assert needs["ec2:DescribeRegions"] == ["connect"]
    assert needs["eks:DescribeCluster"] == ["eks"]
    assert list(needs) == sorted(needs)


def test_the_documents_have_the_shapes_their_tools_take() -> None:
    policy = document("aws")
    assert policy["Version"] == "2012-10-17" and policy["Statement"][0]["Resource"] == "*"
    assert "iam:GetAccountSummary" in policy["Statement"][0]["Action"]

    role = document("azure", scope="/subscriptions/0000-1111")
    assert set(role) == {"Name", "IsCustom", "Description", "Actions", "NotActions", "DataActions", "NotDataActions",
                         "AssignableScopes"}  # fmt: skip
    assert role["AssignableScopes"] == ["/subscriptions/0000-1111"]
    assert "Microsoft.Storage/storageAccounts/read" in role["Actions"]
    # Key Vault's data plane is granted through DataActions; Graph permissions are in no Azure role
    assert "Microsoft.KeyVault/vaults/keys/read" in role["DataActions"]
    assert "Microsoft.KeyVault/vaults/keys/read" not in role["Actions"]
    assert not {"Policy.Read.All", "AuditLog.Read.All"} & {*role["Actions"], *role["DataActions"]}
    assert "Policy.Read.All" in grant_hint("azure") and "admin consent" in grant_hint("azure")

    custom = document("gcp")
    assert custom["stage"] == "GA" and "storage.buckets.getIamPolicy" in custom["includedPermissions"]

    cluster = document("kubernetes")
    assert cluster["kind"] == "ClusterRole"
    assert {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": ["list"]} in cluster["rules"]


def test_a_cluster_role_groups_resources_by_group_and_verbs() -> None:
    role = cluster_role(["list pods", "get namespaces", "list namespaces", "list deployments.apps"])
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list"]},
    ]


@pytest.mark.parametrize("scope", ["subscriptions/x", "/subscriptions/x/../../", "/subscriptions/a b", ""])
def test_an_azure_scope_that_is_not_one_is_refused(scope: str) -> None:
    with pytest.raises(ValueError, match="not an Azure scope"):
        azure_role(["Microsoft.Storage/storageAccounts/read"], scope)


def denied(message: str, operation: str = "GetAccountSummary") -> ClientError:
    return ClientError({"Error": {"Code": "AccessDenied", "Message": message}}, operation)


def test_a_refusal_names_only_declared_permissions() -> None:
    secret = "AKIAIOSFODNN7EXAMPLE"
    assert lacking("aws", denied(f"key {secret} may not perform: iam:GetAccountSummary on resource *")) == [
        "iam:GetAccountSummary"
    ]
    # the operation alone, when the message says nothing; an ambiguous one names every candidate
    assert lacking("aws", denied("", "GetPublicAccessBlock")) == [
        "s3:GetAccountPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
    ]
    # text that only looks like a permission, or one nobody declared, is never repeated
    hint = denied_hint("aws", denied(f"{secret} may not perform: iam:CreateUser nor iam:GetAccountSummaryX", "X"))
    assert hint == ""
    assert lacking("gcp", PermissionError("Permission 'storage.buckets.list' denied")) == ["storage.buckets.list"]
    assert lacking("nonesuch", PermissionError("x")) == []


def test_a_kubernetes_refusal_is_read_from_the_api_servers_words() -> None:
    body = '{"message":"jobs.batch is forbidden: User \\"system:serviceaccount:p:s\\" cannot list resource \\"jobs\\" in API group \\"batch\\" at the cluster scope"}'  # noqa: E501
    exc = PermissionError("(403)")
    exc.body = body  # type: ignore[attr-defined]
    assert lacking("kubernetes", exc) == ["list jobs.batch"]
    assert denied_hint("kubernetes", exc).startswith("the credentials lack list jobs.batch;")
