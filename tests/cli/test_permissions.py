"""manage.py permissions PROVIDER: the document on stdout, parseable as its tool takes it; how to grant it on stderr."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("permissions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_aws_prints_an_iam_policy_and_the_managed_policies_that_cover_it() -> None:
    out, err = run("aws")
    policy = json.loads(out)
    actions = policy["Statement"][0]["Action"]
    assert "iam:GetAccountSummary" in actions and "s3:ListAllMyBuckets" in actions
    from collectors.permissions import READ_ONLY_EXTRAS  # each read-only action not named Describe/Get/List, with why

    assert all(a.split(":")[1].startswith(("Describe", "Get", "List")) or a in READ_ONLY_EXTRAS for a in actions)
    assert "config:BatchGetResourceConfig" in actions  # S3 buckets from AWS Config, where it records
    assert "SecurityAudit" in err and "ViewOnlyAccess" in err


def test_azure_prints_a_role_definition_for_the_given_scope() -> None:
    out, err = run("azure", "--scope", "/subscriptions/00000000-0000-4000-8000-000000000001")
    role = json.loads(out)
    assert role["AssignableScopes"] == ["/subscriptions/00000000-0000-4000-8000-000000000001"]
    assert "Microsoft.Insights/diagnosticSettings/read" in role["Actions"]
    assert "az role definition create" in err


def test_gcp_prints_a_custom_role_for_gcloud() -> None:
    out, err = run("gcp")
    role = yaml.safe_load(out)
    assert set(role) == {"title", "description", "stage", "includedPermissions"}
    assert "resourcemanager.projects.getIamPolicy" in role["includedPermissions"]
    assert "gcloud iam roles create" in err


def test_kubernetes_prints_a_cluster_role_for_kubectl() -> None:
    out, err = run("kubernetes")
    role = yaml.safe_load(out)
    assert role["kind"] == "ClusterRole" and role["metadata"]["name"] == "posture-reader"
    assert {v for rule in role["rules"] for v in rule["verbs"]} <= {"get", "list", "watch"}
    assert "kubectl create clusterrolebinding" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("openstack",), "unknown provider 'openstack' (available: aws, azure, gcp, kubernetes"),
        (("azure", "--scope", "/subscriptions/x/../y"), "is not an Azure scope"),
    ],
)
def test_bad_input_is_a_clear_error(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)
