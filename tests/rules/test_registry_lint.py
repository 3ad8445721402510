"""The whole rule registry and framework catalog, checked the way CI should see them."""

from __future__ import annotations

from dataclasses import replace

from posture.rules.frameworks import catalog
from posture.rules.registry import CATEGORIES, RULES, rules_in_category


def test_every_rule_has_complete_metadata() -> None:
    problems = [f"{r.id}: {p}" for r in RULES for p in r.problems()]
    assert not problems, "\n".join(problems)


def test_every_framework_reference_resolves() -> None:
    # catalog() raises listing every unknown rule id; a rule named by a framework must exist
    for fw in catalog():
        for control in fw.controls:
            for rule_id in control.rules:
                assert rule_id in RULES, f"{fw.id} {control.id} -> {rule_id}"


def test_every_framework_has_controls_and_unique_ids() -> None:
    for fw in catalog():
        ids = [c.id for c in fw.controls]
        assert ids, fw.id
        assert len(ids) == len(set(ids)), fw.id


def test_rule_ids_are_stable_and_typed() -> None:
    for r in RULES:
        assert r.resource_type.split(".")[0] == r.provider, r.id


def test_every_category_is_documented_used_and_exposure_spans_every_provider() -> None:
    used = {r.category for r in RULES}
    assert used <= set(CATEGORIES), used - set(CATEGORIES)
    assert used == set(CATEGORIES), f"categories no rule uses: {set(CATEGORIES) - used}"
    providers = {r.provider for r in RULES if r.category == "exposure"}
    assert providers >= {"aws", "azure", "gcp", "kubernetes"}, providers


def test_a_rule_outside_the_list_is_a_lint_problem() -> None:
    r = RULES.get("aws.s3.bucket_blocks_public_access")
    assert r.category == "exposure" and not r.problems()
    assert any("category 'storage'" in p for p in replace(r, category="storage").problems())


def test_public_access_rules_are_exposure_in_every_cloud() -> None:
    exposure = rules_in_category("exposure")
    for rule_id in (
        "aws.s3.bucket_blocks_public_access",
        "aws.ec2.security_group_no_public_admin_ports_ipv4",
        "aws.rds.not_publicly_accessible",
        "azure.storage.container_not_public",
        "azure.network.nsg_ssh_not_open",
        "gcp.storage.bucket_not_public",
        "gcp.compute.firewall_ssh_restricted",
        "gcp.container.cluster_private_endpoint",
        "kubernetes.core.service_not_exposed",
    ):
        assert rule_id in exposure, rule_id
