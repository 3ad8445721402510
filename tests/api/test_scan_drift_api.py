"""Container drift across two scans of the Kubernetes emulator (a tag that moved, restarts, replaced pods), and
compliance drift (resources whose failing findings grew or shrank), through the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from emulators.kubernetes import KubernetesEmulator, demo_estate
from posture.inventory.models import CloudAccount
from posture.scans.models import ContainerState, Scan
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import estate_doc

pytestmark = pytest.mark.django_db
POSTGRES = "docker.io/library/postgres:16"
MOVED = "sha256:" + "ab" * 32


@pytest.fixture
def analyst(client, user_with_role):
    client.force_login(user_with_role("analyst"))
    return client


@pytest.fixture
def cluster(tmp_path: Path):
    estate = demo_estate()
    with KubernetesEmulator(estate) as emulator:
        kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig", context="demo")
        call_command("accounts", "add", "kubernetes", "--name", "c1", "--kubeconfig", str(kubeconfig))
        yield estate, CloudAccount.objects.get(name="c1")


def scan(account: CloudAccount) -> Scan:
    return run_scan(create_scan(account).pk)


def test_a_moved_tag_restarts_and_replacements_show_at_the_next_scan(cluster, analyst) -> None:
    estate, account = cluster
    first = scan(account)
    state = ContainerState.objects.get(scan=first)
    assert state.compared_with is None and state.tag_moves == [] and state.restarts == []
    before = state.images[POSTGRES]
    assert before and "evil.example.com/miner:latest" in state.images
    assert not any("@" in image for image in state.images)  # pinned images are the rule's business
    estate.tag_digests[POSTGRES] = MOVED  # the registry moved the tag; the CronJob's next pod pulled it
    estate.restarts["miner-7d4b9c-00000"] = 5  # two more restarts
    estate.objects("Pod")[:] = [p for p in estate.objects("Pod") if p["metadata"]["name"] != "web-7d4b9c-00001"]
    web = next(p for p in estate.objects("Pod") if p["metadata"]["name"] == "web-7d4b9c-00000")
    estate.add(
        "Pod",
        "web-7d4b9c-00002",
        "shop",
        owner=web["metadata"]["ownerReferences"][0],
        spec=web["spec"],
        status=dict(web["status"]),
    )
    estate.refresh_statuses()
    second = scan(account)
    body = analyst.get(f"/api/v1/scans/{second.pk}/container-drift/").json()
    assert body["compared_with"] == first.pk
    assert body["tag_moves"] == [
        {"image": POSTGRES, "before": before, "after": [MOVED], "workloads": ["legacy/CronJob/backup"]}
    ]
    assert body["restarts"] == [
        {
            "workload": "legacy/Deployment/miner",
            "pod": "miner-7d4b9c-00000",
            "container": "miner",
            "restarts": 2,
            "total": 5,
        }
    ]
    assert body["replacements"] == [
        {"workload": "shop/Deployment/web", "gone": ["web-7d4b9c-00001"], "new": ["web-7d4b9c-00002"]}
    ]


def test_an_unmoved_tag_is_not_drift(cluster, analyst) -> None:
    """The look-alike: the same tags at the same digests, restarts already counted: nothing moved."""
    _, account = cluster
    scan(account)
    second = scan(account)
    body = analyst.get(f"/api/v1/scans/{second.pk}/container-drift/").json()
    assert (body["tag_moves"], body["restarts"], body["replacements"]) == ([], [], [])


def test_a_scan_without_containers_has_no_container_drift(analyst, scanned) -> None:
    latest = Scan.objects.filter(account=scanned).order_by("-id").first()
    body = analyst.get(f"/api/v1/scans/{latest.pk}/container-drift/").json()
    assert body == {
        "scan": latest.pk,
        "compared_with": None,
        "tag_moves": [],
        "restarts": [],
        "replacements": [],
        "images": {},
    }


def test_compliance_drift_lists_both_directions(analyst, scanned, account, estate) -> None:
    doc = estate_doc(public=False, mfa=False)
    doc["resources"][1]["config"]["public"] = True  # b-private goes public: worse
    estate.write(doc)  # b-public is private now: better; u-alice (no MFA) fails as before: not listed
    latest = scan(account)
    body = analyst.get(f"/api/v1/scans/{latest.pk}/compliance-drift/").json()
    assert [(r["uid"], r["now_failing"]) for r in body["worse"]] == [
        ("b-private", ["testcloud.storage.bucket_not_public"])
    ]
    assert [(r["uid"], r["now_passing"]) for r in body["better"]] == [
        ("b-public", ["testcloud.storage.bucket_not_public"])
    ]
    assert body["mixed"] == []
    unchanged = scan(account)
    assert analyst.get(f"/api/v1/scans/{unchanged.pk}/compliance-drift/").json() == {
        "scan": unchanged.pk,
        "worse": [],
        "better": [],
        "mixed": [],
    }
