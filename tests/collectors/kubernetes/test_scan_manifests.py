"""Shift-left: the same rules on manifests, through ``manage.py scan-manifests``, as a CI gate."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from collectors.kubernetes.manifests import load_manifests
from posture.rules.packs.kubernetes.manifest_scan import scan_manifests
from posture.rules.registry import RULES

HERE = Path(__file__).parent / "manifests"
GOOD, BAD, BROKEN = HERE / "good", HERE / "bad", HERE / "broken.yaml"
# Rules that need a running cluster (pods, nodes, the control plane, installed agents): nothing to see in manifests.
CLUSTER_ONLY = {
    "kubernetes.workloads.pods_recently_replaced",
    "kubernetes.workloads.running_image_matches_pinned_digest",  # running digests are in pod statuses
    "kubernetes.workloads.live_spec_matches_last_applied",  # the applied copy is what the cluster kept
    "kubernetes.core.kubelet_version_current",
    "kubernetes.cluster.policy_engine_installed",
    "kubernetes.cluster.runtime_security_agent",
    "kubernetes.cluster.workloads_separated_by_namespace",
    "kubernetes.cluster.network_policies_enforced",
    "kubernetes.core.node_has_no_public_ip",
} | {r.id for r in RULES if r.resource_type == "kubernetes.nodes.kubelet_config"}  # each kubelet's live configuration
# the running images' stored scan results, which the scan pipeline attaches to running workloads
CLUSTER_ONLY |= {r.id for r in RULES if r.id.startswith("kubernetes.image_vulnerabilities.")}


def run(*args: str) -> int:
    try:
        call_command("scan-manifests", *args)
    except CommandError as exc:
        return exc.returncode
    return 0


def test_every_rule_passes_on_good_manifests_and_fails_on_bad_ones() -> None:
    statuses: dict[str, dict[str, set[str]]] = {"good": defaultdict(set), "bad": defaultdict(set)}
    for name, path in (("good", GOOD), ("bad", BAD)):
        report = scan_manifests([path])
        assert report.errors == []
        for r in report.results:
            statuses[name][r.rule_id].add(str(r.status))
    rules = {r.id for r in RULES if r.provider == "kubernetes"} - CLUSTER_ONLY
    assert {rule for rule in rules if statuses["good"][rule] != {"PASS"}} == set()
    assert {rule for rule in rules if "FAIL" not in statuses["bad"][rule]} == set()
    assert not (set(statuses["good"]) | set(statuses["bad"])) & CLUSTER_ONLY


def test_good_manifests_exit_zero_even_at_the_lowest_threshold(capsys) -> None:
    assert run(str(GOOD), "--fail-on", "info") == 0
    assert "0 failed" in capsys.readouterr().out


def test_fail_on_sets_the_exit_code(capsys) -> None:
    assert run(str(BAD)) == 1  # default threshold: high
    assert run(str(BAD), "--fail-on", "critical") == 1  # a privileged container is critical
    assert run(str(BAD), "--fail-on", "none") == 0
    out = capsys.readouterr().out
    assert "FAIL  critical kubernetes.workloads.privileged_containers  legacy/Deployment/miner" in out
    assert "(legacy/templates/miner.yaml)" in out  # Helm's source comment names the template


def test_a_malformed_document_is_named_and_the_rest_is_scanned(capsys) -> None:
    assert run(str(BROKEN), "--fail-on", "none") == 2
    captured = capsys.readouterr()
    assert f"{BROKEN}: document 2 (line 6): malformed YAML near line 9" in captured.err
    assert f"{BROKEN}: document 3 (line 11): not a Kubernetes object" in captured.err
    assert "ci/Pod/after-the-broken-ones" in captured.out  # the document after the broken ones was checked
    assert "kubernetes.workloads.privileged_containers  ci/Pod/after-the-broken-ones" in captured.out


def test_json_and_sarif_reports(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert run(str(BAD), str(BROKEN), "--format", "json", "--output", str(out)) == 2
    report = json.loads(out.read_text())
    assert {e["document"] for e in report["errors"]} == {2, 3}
    miner = [r for r in report["results"] if r["resource"] == "legacy/Deployment/miner" and r["status"] == "FAIL"]
    assert miner and all(r["location"]["file"].endswith("rendered.yaml") for r in miner)

    sarif_path = tmp_path / "report.sarif"
    assert run(str(BAD), "--format", "sarif", "--output", str(sarif_path), "--fail-on", "none") == 0
    sarif = json.loads(sarif_path.read_text())
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    result = next(r for r in run_["results"] if r["ruleId"] == "kubernetes.workloads.host_pid")
    assert rule_ids[result["ruleIndex"]] == "kubernetes.workloads.host_pid"
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("bad/rendered.yaml")
    assert location["region"]["startLine"] == 13


def test_manifest_secrets_and_literal_passwords_are_not_kept() -> None:
    loaded = load_manifests([BAD, GOOD])
    everything = json.dumps([r.config for r in loaded.records])
    assert "hunter2" not in everything and "dGVzdA==" not in everything
    assert loaded.skipped_kinds == {}


def test_a_missing_path_is_an_error() -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("scan-manifests", "/nonexistent/manifests")
