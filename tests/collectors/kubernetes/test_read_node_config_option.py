"""An admin opts a cluster in to the kubelets' configz with --read-node-config; without it no node proxy call."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from emulators.kubernetes import KubernetesEmulator
from posture.findings.models import Finding
from posture.inventory.models import CloudAccount

pytestmark = pytest.mark.django_db
READ_ONLY_PORT = "kubernetes.nodes.kubelet_read_only_port_disabled"


def kubelet_findings() -> dict[str, str]:
    rows = Finding.objects.filter(rule_id__startswith="kubernetes.nodes.").select_related("resource")
    return {f"{f.rule_id}@{f.resource.uid}": f.status for f in rows}


def test_opt_in_reads_the_kubelets_and_opt_out_stops(emulator: KubernetesEmulator, kubeconfig: Path) -> None:
    call_command("accounts", "add", "kubernetes", "--name", "c1", "--kubeconfig", str(kubeconfig))
    assert CloudAccount.objects.get(name="c1").target().options == frozenset()
    call_command("scan", "c1")
    assert not [p for p in emulator.requests if "/proxy/" in p] and kubelet_findings() == {}

    call_command("accounts", "update", "c1", "--read-node-config")
    account = CloudAccount.objects.get(name="c1")
    assert account.labels["read-node-config"] == "true"
    assert account.target().options == frozenset({"read-node-config"})
    call_command("scan", "c1")
    found = kubelet_findings()
    assert found[f"{READ_ONLY_PORT}@KubeletConfiguration/node-2"] == "FAIL"
    assert found[f"{READ_ONLY_PORT}@KubeletConfiguration/node-1"] == "PASS"

    call_command("accounts", "update", "c1", "--no-read-node-config")
    assert CloudAccount.objects.get(name="c1").target().options == frozenset()


def test_the_option_is_for_clusters_only_and_its_help_states_the_risk(capsys) -> None:
    with pytest.raises(CommandError, match="applies to kubernetes accounts"):
        call_command("accounts", "add", "aws", "--name", "a1", "--profile", "x", "--read-node-config")
    with pytest.raises(SystemExit):
        call_command("accounts", "add", "--help")
    assert "exec into any pod" in " ".join(capsys.readouterr().out.split())
