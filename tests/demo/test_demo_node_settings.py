"""The demo estate exercises the node and kubelet rules in every provider: one node setting fails in each."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from posture.findings.models import Finding

pytestmark = pytest.mark.django_db


def test_each_provider_has_a_failing_and_a_passing_node_setting() -> None:
    call_command("demo", "--no-serve", "--scan-days", "1", stdout=StringIO())
    statuses: dict[str, set[str]] = {}
    for rule_id, status in Finding.objects.values_list("rule_id", "status"):
        statuses.setdefault(rule_id, set()).add(status)
    for rule_id in (
        "kubernetes.nodes.kubelet_anonymous_auth_disabled",
        "aws.eks.nodegroup_kubelet_read_only_port_disabled",
        "gcp.container.node_pool_kubelet_readonly_port_disabled",
        "azure.aks.node_pool_no_unsafe_sysctls",
    ):
        assert statuses.get(rule_id) == {"PASS", "FAIL"}, (rule_id, statuses.get(rule_id))
