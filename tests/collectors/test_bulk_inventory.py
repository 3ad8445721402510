"""Bulk inventory (Azure Resource Graph, Google Cloud Asset Inventory): the same records with it and without,
fewer calls with it, and a failing bulk query falls back to the per-service listings without losing anything."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

import collectors.azure
import collectors.gcp
from collectors.azure import resource_graph as azure_graph
from collectors.bulk import BulkFailure, BulkInventory, bulk_mode
from collectors.gcp import inventory as gcp_inventory
from collectors.records import Target
from collectors.run import collect, plan
from emulators.azure import ArmEmulator
from emulators.azure.demo import demo_estate as azure_estate
from emulators.gcp import GcpEmulator
from emulators.gcp import demo_estate as gcp_estate
from emulators.gcp.estate import FOLDER
from posture.env import SettingError
from tests.collectors.azure.conftest import TOKEN as AZURE_TOKEN
from tests.collectors.azure.conftest import target as azure_target
from tests.collectors.gcp.conftest import TOKEN as GCP_TOKEN
from tests.collectors.gcp.conftest import target as gcp_target

GRAPH = "/providers/Microsoft.ResourceGraph/resources"


def scan(target: Target, mode: str) -> tuple[dict[str, Any], Any]:
    """The records of a whole scan of ``target`` (uid -> what is stored of it), its errors and its session."""
    provider = collectors.REGISTRY.provider(target.provider)
    with mock.patch.dict(os.environ, {"POSTURE_BULK_INVENTORY": mode}):
        session = provider.connect(target)
    if target.provider == "gcp":
        session.retry_delay = 0.01
    result = collect(provider, session, plan(provider, session, target))
    records = {r.uid: (r.type, r.name, r.region, r.tags, r.config) for r in result.records}
    assert len(records) == len(result.records)
    return {"records": records, "errors": result.errors}, session


@pytest.fixture(scope="module")
def arm() -> Iterator[ArmEmulator]:
    with ArmEmulator(azure_estate(), token=AZURE_TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def azure_scans(arm: ArmEmulator) -> dict[str, Any]:
    """One scan per way: per service, then through Resource Graph paged two rows at a time."""
    scans: dict[str, Any] = {}
    for mode in ("off", "auto"):
        start = len(arm.requests)
        with mock.patch.object(azure_graph, "PAGE_ROWS", 2):
            scans[mode], scans[f"{mode}_session"] = scan(azure_target(arm), mode)
        scans[f"{mode}_requests"] = arm.requests[start:]
    return scans


def test_azure_records_are_the_same_with_and_without_resource_graph(azure_scans: dict[str, Any]) -> None:
    off, auto = azure_scans["off"], azure_scans["auto"]
    assert not off["errors"] and not auto["errors"]
    assert len(off["records"]) > 40
    assert auto["records"] == off["records"]  # same uids, and for each the same type, name, region, tags, config
    types = {kind for kind, *_ in auto["records"].values()}
    assert {"azure.storage.account", "azure.network.security_group", "azure.aks.managed_cluster"} <= types


def test_resource_graph_replaces_the_list_calls_it_answers(azure_scans: dict[str, Any]) -> None:
    off, auto = azure_scans["off_requests"], azure_scans["auto_requests"]
    graph = [path for method, path in auto if method == "POST" and GRAPH.lower() in path.lower()]
    assert len(graph) > 1  # two rows a page: the paging was followed
    assert not any(GRAPH.lower() in path.lower() for _, path in off)
    assert azure_scans["auto_session"].bulk.queries == 1  # one query for the account, whatever asked it
    assert azure_scans["off_session"].bulk is None
    listed = ("/storageAccounts?", "/networkSecurityGroups?", "/managedClusters?", "/vaults?", "/registries?")
    for fragment in listed:
        assert any(fragment.lower() in path.lower() for _, path in off), fragment
        assert not any(fragment.lower() in path.lower() for _, path in auto), fragment
    # what Resource Graph does not carry is still read per resource
    assert any("/blobServices/default/containers" in path for _, path in auto)
    assert any("/agentPools" in path for _, path in auto)


@pytest.mark.parametrize(("status", "kind"), [(403, "denied"), (400, "error")])
def test_a_refused_resource_graph_falls_back_to_the_service_listings(
    arm: ArmEmulator, azure_scans: dict[str, Any], status: int, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    arm.fail("Microsoft.ResourceGraph", status)
    try:
        start = len(arm.requests)
        fallen, session = scan(azure_target(arm), "auto")
        sent = arm.requests[start:]
    finally:
        arm.heal()
    assert fallen["records"] == azure_scans["off"]["records"]
    assert not fallen["errors"]  # the scan is complete: nothing failed but an optimisation
    assert [(f.scope, f.kind) for f in session.bulk.failures] == [("", kind)]
    assert sum(1 for _, path in sent if GRAPH.lower() in path.lower()) == 1  # tried once, not once per collector
    if kind == "denied":
        assert "Microsoft.ResourceGraph/resources/read" in session.bulk.failures[0].message
    assert AZURE_TOKEN not in caplog.text
    assert "bulk inventory is unavailable" in caplog.text


def test_the_emulators_resource_graph_answers_in_its_shape(arm: ArmEmulator) -> None:
    session = collectors.azure.PROVIDER.connect(azure_target(arm))
    rows = list(azure_graph._rows(session))
    assert rows and all(row["type"] == row["type"].lower() for row in rows)
    assert {"resourceGroup", "subscriptionId", "tenantId", "managedBy", "plan"} <= set(rows[0])
    from emulators.azure.resource_graph import answer

    status, body = answer([], [], {"query": "Resources | project id"}, str)
    assert status == 400 and body["error"]["code"] == "BadRequest"


@pytest.fixture(scope="module")
def gcp() -> Iterator[GcpEmulator]:
    with GcpEmulator(gcp_estate(), token=GCP_TOKEN, page_size=50) as running:
        yield running


@pytest.fixture(scope="module")
def gcp_scans(gcp: GcpEmulator) -> dict[str, Any]:
    """One scan of the folder's projects per way: per service, then through Cloud Asset Inventory, 3 a page."""
    scans: dict[str, Any] = {}
    for mode in ("off", "auto"):
        start = len(gcp.calls)
        with mock.patch.object(gcp_inventory, "PAGE_SIZE", 3):
            scans[mode], scans[f"{mode}_session"] = scan(gcp_target(gcp, folder=FOLDER), mode)
        scans[f"{mode}_calls"] = gcp.calls[start:]
    return scans


def test_google_cloud_records_are_the_same_with_and_without_asset_inventory(gcp_scans: dict[str, Any]) -> None:
    off, auto = gcp_scans["off"], gcp_scans["auto"]
    assert not off["errors"] and not auto["errors"]
    assert auto["records"] == off["records"]
    types = {kind for kind, *_ in auto["records"].values()}
    assert {"gcp.compute.firewall", "gcp.compute.instance", "gcp.container.cluster", "gcp.kms.crypto_key"} <= types


def test_asset_inventory_replaces_the_list_calls_it_answers(gcp_scans: dict[str, Any]) -> None:
    off, auto = gcp_scans["off_calls"], gcp_scans["auto_calls"]
    assert len(gcp_scans["auto_session"].projects) == 2
    assert gcp_scans["auto_session"].bulk.queries == 1  # one listing for the folder's projects
    assets = [path for api, path in auto if api == "cloudasset"]
    assert len(assets) > 2 and set(assets) == {f"/v1/{FOLDER}/assets"}  # paged, three assets a page
    for api, suffix in [("compute", "/global/firewalls"), ("container", "/clusters"), ("cloudkms", "/keyRings")]:
        assert any(a == api and p.endswith(suffix) for a, p in off), suffix
        assert not any(a == api and p.endswith(suffix) for a, p in auto), suffix
    assert len(auto) < len(off)
    assert any(p.endswith(":getIamPolicy") for a, p in auto if a == "cloudkms")  # per key, still


def test_listed_projects_are_listed_one_query_each(gcp: GcpEmulator, gcp_scans: dict[str, Any]) -> None:
    start = len(gcp.calls)
    each, session = scan(gcp_target(gcp, projects="acme-prod,acme-sandbox"), "auto")
    assert each["records"] == gcp_scans["off"]["records"] and not each["errors"]
    assert session.bulk.queries == 2
    assert sorted(p for a, p in gcp.calls[start:] if a == "cloudasset") == [
        "/v1/projects/acme-prod/assets",
        "/v1/projects/acme-sandbox/assets",
    ]


def test_an_unavailable_asset_inventory_falls_back_to_the_service_listings(
    gcp: GcpEmulator, gcp_scans: dict[str, Any]
) -> None:
    gcp.fail("cloudasset", 403)
    try:
        denied, denied_session = scan(gcp_target(gcp, projects="acme-prod,acme-sandbox"), "auto")
    finally:
        gcp.clear()
    gcp.junk("cloudasset", "<html>proxy error</html>")
    try:
        junk, junk_session = scan(gcp_target(gcp, folder=FOLDER), "auto")
    finally:
        gcp.clear()
    for fallen in (denied, junk):
        assert fallen["records"] == gcp_scans["off"]["records"]
        assert not fallen["errors"]
    assert {f.kind for f in denied_session.bulk.failures} == {"denied"}
    assert sorted(f.scope for f in denied_session.bulk.failures) == sorted(denied_session.projects)
    assert [(f.scope, f.kind) for f in junk_session.bulk.failures] == [(FOLDER, "invalid_response")]


# -- the shared inventory ---------------------------------------------------------------------------------


def test_the_query_runs_once_however_many_collectors_ask_at_once() -> None:
    calls: list[str] = []
    release = threading.Event()

    def query(scope: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        calls.append(scope)
        release.wait(5)  # held until every thread has started: they ask while it runs
        yield "g", "a", {"id": 1}
        yield "g", "b", {"id": 2}
        yield "g", "unasked", {"id": 3}
        yield "h", "a", {"id": 4}

    inventory = BulkInventory("test", query, ["a", "b"], lambda exc: "error", groups=lambda scope: ["g", "empty"])
    answers: list[Any] = []
    threads = [threading.Thread(target=lambda: answers.append(inventory.items("s", "g", "a"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join()
    assert calls == ["s"] and sorted(answers, key=lambda a: a is not None) == [None] * 5 + [
        [{"id": 1}]
    ]  # handed out once
    assert inventory.items("s", "g", "b") == [{"id": 2}]
    assert inventory.items("s", "g", "b") is None  # taken: a second ask lists per service
    assert inventory.items("s", "h", "a") == [{"id": 4}]  # a group the answer names
    assert inventory.items("s", "empty", "a") == []  # a group it is complete for, with nothing in it
    assert inventory.items("s", "unknown", "a") is None  # a group it knows nothing of: the service's own listing
    assert inventory.items("s", "g", "unasked") is None  # a kind the query does not carry: the same
    assert inventory.items("t", "g", "a") == [{"id": 1}] and calls == ["s", "t"]  # scopes apart


def test_a_failed_query_answers_none_from_then_on_and_is_recorded() -> None:
    calls: list[str] = []

    def query(scope: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        calls.append(scope)
        yield "g", "a", {"id": 1}
        raise PermissionError("refused")

    inventory = BulkInventory("aws", query, ["a"], lambda exc: "denied", scopes=lambda: ["s"])
    assert inventory.items("s", "g", "a") is None
    assert inventory.items("s", "g", "a") is None  # half an answer is never used
    assert calls == ["s"]
    assert inventory.probe() == inventory.failures and calls == ["s"]  # a probe queries what was not yet
    assert inventory.failures == [BulkFailure("s", "denied", inventory.failures[0].message)]
    assert inventory.failures[0].message.startswith("access was denied")


def test_the_setting_is_read_strictly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTURE_BULK_INVENTORY", raising=False)
    assert bulk_mode() == "auto"
    monkeypatch.setenv("POSTURE_BULK_INVENTORY", "OFF")
    assert bulk_mode() == "off"
    monkeypatch.setenv("POSTURE_BULK_INVENTORY", "sometimes")
    with pytest.raises(SettingError, match="POSTURE_BULK_INVENTORY='sometimes' must be one of: auto, off"):
        bulk_mode()


def test_an_asset_the_client_library_cannot_read_falls_back_to_the_listing() -> None:
    from google.cloud import compute_v1

    class Session:
        scope = ""
        bulk = BulkInventory(
            "gcp",
            lambda scope: iter([("p", gcp_inventory.FIREWALL, {"priority": "high"})]),
            [gcp_inventory.FIREWALL],
            lambda exc: "error",
        )

    listing = [{"name": "allow-ssh", "priority": 1000}]
    found = gcp_inventory.listed(Session(), "p", gcp_inventory.FIREWALL, compute_v1.Firewall, lambda: listing)  # type: ignore[arg-type]
    assert found == listing
