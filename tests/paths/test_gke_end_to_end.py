"""The GKE path end to end, real SDKs against the emulators: the demo's Google Cloud folder and its GKE
``payments`` cluster (kubeconfig, labelled platform=gke cluster=payments) are scanned; the seeded path (Ingress
-> privileged report-builder -> Workload Identity -> storage.admin on the reports bucket) opens and its decoys
(internal Service, hardened pod, identity with no data) do not; the foothold is hardened in the emulator, a
rescan closes the path and a ``path.closed`` delivery is queued. The folder's neglected sandbox opens a second
path (SSH open to the world -> its public GKE nodes -> the default compute account, Editor there) beside its
look-alikes in the kept project (a public VM whose account holds no role, a VM without external address, private
nodes)."""

from __future__ import annotations

from pathlib import Path

import pytest

import collectors.gcp  # registers the provider
import collectors.kubernetes  # noqa: F401
from emulators.gcp import GcpEmulator, demo_estate
from emulators.gcp.estate_paths import add_workload_identities
from emulators.kubernetes import KubernetesEmulator
from emulators.kubernetes import demo_estate as cluster_estate
from emulators.kubernetes.paths_scenario import add_exposure_paths
from posture.integrations.models import Delivery, Event, WebhookEndpoint
from posture.inventory.accounts import AccountInput, create_account
from posture.paths.models import ExposurePath
from posture.scans.pipeline import create_scan, run_scan
from tests.collectors.gcp.conftest import TOKEN

pytestmark = pytest.mark.django_db(transaction=True)


def gcp_estate() -> dict:
    estate = demo_estate()
    add_workload_identities(estate)
    return estate


def payments(fixed: bool = False):
    estate = cluster_estate()
    add_exposure_paths(estate, fixed=fixed)
    return estate


def scan(account) -> None:
    done = run_scan(create_scan(account).pk)
    assert done.state in ("succeeded", "partial"), (done.message, done.errors)


def test_the_seeded_gke_path_opens_its_decoys_do_not_and_fixing_the_foothold_closes_it(tmp_path: Path) -> None:
    hook = WebhookEndpoint(name="paths", url="https://hooks.example.test/in", events=[Event.PATH_CLOSED])
    hook.secret = "a-webhook-secret-of-some-length"
    hook.save()
    with GcpEmulator(gcp_estate(), token=TOKEN) as gcp, KubernetesEmulator(payments()) as cluster:
        cloud = create_account(
            AccountInput("gcp", "acme", [], gcp.url, {"access_token": TOKEN, "folder": "folders/1001"}, external_id="")
        )
        kubeconfig = cluster.write_kubeconfig(tmp_path / "payments.kubeconfig").read_text()
        inside = create_account(
            AccountInput(
                "kubernetes",
                "payments",
                [],
                credentials={"kubeconfig_content": kubeconfig},
                labels={"platform": "gke", "cluster": "payments"},
            )
        )
        scan(cloud)
        scan(inside)
        opened = list(ExposurePath.objects.filter(closed_at__isnull=True).order_by("title"))
        assert [p.title for p in opened] == [
            "Firewall rule default-allow-ssh -> Project admin: acme-sandbox",
            "Ingress analytics/reports -> Bucket acme-prod-reports",
        ]
        nodes, path = opened
        # the neglected sandbox's public GKE nodes, on the default compute account (Editor there); its look-alikes
        # lead nowhere: legacy-vm (public, tagged web) runs as acme-prod's default account, which holds no role;
        # api-1 has no external address; the kept cluster's nodes are private
        assert [h["label"] for h in nodes.hops[1:4]] == [
            "Firewall rule default-allow-ssh",
            "GKE node pool legacy-web/pool-1",
            "498765432109-compute@developer.gserviceaccount.com",
        ]
        assert nodes.hops[2]["findings"] and nodes.hops[4]["target_kind"] == "admin"
        assert [h["kind"] for h in path.hops] == [
            "internet", "entry", "route", "workload", "service_account", "identity", "target",
        ]  # fmt: skip
        assert path.hops[3]["uid"] == "analytics/Deployment/report-builder" and path.hops[3]["findings"]
        assert path.hops[5]["label"] == "report-builder@acme-prod.iam.gserviceaccount.com"
        assert {a.name for a in path.accounts.all()} == {"acme", "payments"}

        cluster.estate = payments(fixed=True)
        scan(inside)
    path.refresh_from_db()
    assert path.closed_at is not None
    delivery = Delivery.objects.get(webhook=hook, event=Event.PATH_CLOSED)
    assert delivery.payload["path"]["key"] == path.key
