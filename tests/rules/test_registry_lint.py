"""The whole rule registry and framework catalog, checked the way CI should see them."""

from __future__ import annotations

import re
from dataclasses import replace

from posture.rules.frameworks import catalog
from posture.rules.registry import CATEGORIES, RULES, Rule, rules_in_category
from tests.rules.test_rule_cases import CASES


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


# A rule is found in one guess: <provider>.<service>.<name> lives in posture/rules/packs/<provider>/<service>.py
# (or, for a service large enough to be a package, in a module of posture/rules/packs/<provider>/<service>/),
# and its cases in the file of the same path under tests/rules/cases/ (<provider>/<service>.yaml, or
# <provider>/<service>/<part>.yaml). Modules without rules (support, helpers, podspec...) hold what rules share.
# Plugins (POSTURE_PLUGINS, such as the tests' testcloud) keep their rules where they like.
PACKS = "posture.rules.packs."
PACK_RULES = [r for r in RULES if r.module.startswith(PACKS)]


def module_path(rule: Rule) -> str:
    """The rule's module as a path under posture/rules/packs/ and tests/rules/cases/, without suffix."""
    return rule.module.removeprefix(PACKS).replace(".", "/")


def test_a_rule_lives_in_the_module_its_id_names() -> None:
    assert len(PACK_RULES) > 250
    misplaced = []
    for r in PACK_RULES:
        home = f"{r.provider}/{r.service}"
        path = module_path(r)
        if not (path == home or path.rpartition("/")[0] == home):
            misplaced.append(f"{r.id} is in {r.module}, not in packs/{home}.py (or packs/{home}/)")
    assert not misplaced, "\n".join(misplaced)


def test_a_rule_is_tested_in_the_case_file_of_its_module() -> None:
    misplaced = [
        f"{case['_where']}: {case['rule']} belongs in {module_path(RULES.get(case['rule']))}.yaml"
        for case in CASES
        if case["rule"] in RULES
        and RULES.get(case["rule"]).module.startswith(PACKS)
        and case["_where"].split("#")[0] != module_path(RULES.get(case["rule"])) + ".yaml"
    ]
    assert not misplaced, "\n".join(misplaced)


def test_the_mapping_for_ids_that_once_lived_elsewhere() -> None:
    for rule_id, module in {
        "aws.kms.customer_key_rotation_enabled": "aws/kms",
        "aws.kms.key_policy_no_public_principal": "aws/kms",
        "aws.guardduty.eks_protection_enabled": "aws/guardduty",
        "aws.s3.bucket_blocks_public_access": "aws/s3",
        "azure.security.defender_containers": "azure/security",
        "gcp.container.node_pool_secure_boot": "gcp/container/node_pool",
        "kubernetes.networking.ingress_uses_tls": "kubernetes/networking",
        "kubernetes.workloads.host_pid": "kubernetes/workloads/pod_security_baseline",
    }.items():
        assert module_path(RULES.get(rule_id)) == module, rule_id


CIS_NUMBER = re.compile(
    r"\bCIS\b(?:\s+[A-Za-z][\w-]*){0,4}\s+v?\d+(?:\.\d+)+"
)  # "CIS AWS 3.1.4", "CIS GKE v1.9.0 5.6.4"


def test_framework_numbers_stay_in_the_framework_files() -> None:
    """Which CIS control a rule evidences is said once, in posture/rules/frameworks/*.yaml."""
    found = [
        f"{r.id}: {name} {text!r}"
        for r in RULES
        for name, text in (
            ("title", r.title),
            ("rationale", r.rationale),
            ("remediation", r.remediation),
            *(("references", ref) for ref in r.references),
        )
        if CIS_NUMBER.search(text)
    ]
    assert not found, "\n".join(found)
