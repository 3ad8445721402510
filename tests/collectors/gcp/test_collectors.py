"""Each Google Cloud collector against the emulator: records, full resource names, paging, secrets, faults."""

from __future__ import annotations

import json

import pytest

from collectors.gcp import PROVIDER
from collectors.gcp.provider import ScopeFailures
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY
from collectors.run import collect, plan
from emulators.gcp import GcpEmulator
from tests.collectors.gcp.conftest import session_for, target


def run(emulator: GcpEmulator, service: str, **credentials: str) -> list[ResourceRecord]:
    spec = next(s for s in REGISTRY.collectors("gcp") if s.service == service)
    return list(spec.fn(session_for(emulator, **credentials), "global"))


def by_type(records: list[ResourceRecord], kind: str) -> dict[str, ResourceRecord]:
    return {r.name: r for r in records if r.type == kind}


def test_gke_clusters_and_node_pools(emulator: GcpEmulator) -> None:
    records = run(emulator, "container", projects="acme-prod,acme-sandbox")
    clusters = by_type(records, "gcp.container.cluster")
    assert set(clusters) == {"payments", "legacy-web"}
    payments = clusters["payments"]
    assert payments.uid == "//container.googleapis.com/projects/acme-prod/locations/europe-west1/clusters/payments"
    assert payments.region == "europe-west1" and payments.config["_project"] == "acme-prod"
    assert payments.config["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert payments.config["securityPostureConfig"] == {"mode": "BASIC", "vulnerabilityMode": "VULNERABILITY_BASIC"}
    pools = by_type(records, "gcp.container.node_pool")
    assert pools["legacy-web/pool-1"].uid.endswith("/clusters/legacy-web/nodePools/pool-1")
    assert pools["legacy-web/pool-1"].config["config"]["serviceAccount"] == "default"
    legacy = json.dumps(clusters["legacy-web"].config)
    assert "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF" not in legacy  # the client key
    assert "s3cr3t" not in legacy  # a node startup-script
    assert clusters["legacy-web"].config["masterAuth"]["clientKey"] == "**redacted**"


@pytest.mark.usefixtures("per_service")
def test_compute_networks_firewalls_instances_and_project(emulator: GcpEmulator) -> None:
    emulator.page_size = 1  # every list call pages, item by item
    networks = run(emulator, "compute_networks", projects="acme-sandbox")
    assert set(by_type(networks, "gcp.compute.network")) == {"prod-vpc", "default", "classic"}
    assert by_type(networks, "gcp.compute.network")["classic"].config["IPv4Range"] == "10.240.0.0/16"
    subnets = by_type(networks, "gcp.compute.subnetwork")
    assert (
        subnets["default"].uid
        == "//compute.googleapis.com/projects/acme-sandbox/regions/us-central1/subnetworks/default"
    )
    assert subnets["default"].region == "us-central1"
    firewalls = by_type(run(emulator, "compute_firewalls"), "gcp.compute.firewall")
    assert len(firewalls) == 6
    assert firewalls["default-allow-ssh"].config["allowed"] == [{"IPProtocol": "tcp", "ports": ["22"]}]
    instances = by_type(run(emulator, "compute_instances"), "gcp.compute.instance")
    legacy = instances["legacy-vm"]
    assert legacy.uid == "//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/legacy-vm"
    assert legacy.region == "us-central1" and legacy.config["canIpForward"] is True
    items = {i["key"]: i["value"] for i in legacy.config["metadata"]["items"]}
    assert items["serial-port-enable"] == "TRUE" and items["startup-script"] == "**redacted**"
    assert "hunter2" not in json.dumps(legacy.config)
    project = run(emulator, "compute_project", projects="acme-sandbox")[0]
    assert project.type == "gcp.compute.project" and "alice:ssh" not in json.dumps(project.config)
    paged = [path for api, path in emulator.calls if path.endswith("/global/firewalls")]
    assert len(paged) == 6  # six firewall rules, one a page


def test_regions_filter_what_is_kept(emulator: GcpEmulator) -> None:
    session = session_for(emulator)
    session.regions = ("europe-west1",)
    spec = next(s for s in REGISTRY.collectors("gcp") if s.service == "compute_instances")
    assert {r.name for r in spec.fn(session, "global")} == {"api-1"}


def test_buckets_with_their_iam_policies(emulator: GcpEmulator) -> None:
    buckets = by_type(run(emulator, "storage"), "gcp.storage.bucket")
    site = buckets["acme-prod-public-site"]
    assert site.uid == "//storage.googleapis.com/projects/_/buckets/acme-prod-public-site"
    assert {"role": "roles/storage.objectViewer", "members": ["allUsers"]} in site.config["iamPolicy"]["bindings"]
    assert buckets["acme-prod-audit-logs"].config["retentionPolicy"]["isLocked"] is True
    assert any(path == "/storage/v1/b" for _, path in emulator.calls)
    share = by_type(run(emulator, "storage", projects="acme-sandbox"), "gcp.storage.bucket")["acme-sandbox-share"]
    assert share.config["acl"] == [{"entity": "project-owners-498765432109", "role": "OWNER"}]


def test_an_unreadable_bucket_policy_is_recorded_and_the_rest_goes_on(emulator: GcpEmulator) -> None:
    emulator.fail("storage", status=403, match="/iam")
    buckets = by_type(run(emulator, "storage"), "gcp.storage.bucket")
    assert len(buckets) == 3
    assert all("Forbidden" in b.config["_errors"]["iamPolicy"] for b in buckets.values())


def test_service_accounts_with_keys_and_kms_keys(emulator: GcpEmulator) -> None:
    accounts = by_type(run(emulator, "iam", projects="acme-sandbox"), "gcp.iam.service_account")
    ci = accounts["ci-deployer@acme-sandbox.iam.gserviceaccount.com"]
    assert (
        ci.uid
        == "//iam.googleapis.com/projects/acme-sandbox/serviceAccounts/ci-deployer@acme-sandbox.iam.gserviceaccount.com"
    )
    assert [k["keyType"] for k in ci.config["keys"]] == ["USER_MANAGED"]
    keys = by_type(run(emulator, "kms", projects="acme-sandbox"), "gcp.kms.crypto_key")
    data = keys["app-data"]
    assert (
        data.uid
        == "//cloudkms.googleapis.com/projects/acme-sandbox/locations/us-central1/keyRings/app/cryptoKeys/app-data"
    )
    assert data.config["purpose"] == "ENCRYPT_DECRYPT" and "rotationPeriod" not in data.config
    assert data.config["iamPolicy"]["bindings"][0]["members"] == ["allAuthenticatedUsers"]


def test_project_policy_audit_config_and_enabled_services(emulator: GcpEmulator) -> None:
    (project,) = run(emulator, "resourcemanager")
    assert project.uid == "//cloudresourcemanager.googleapis.com/projects/acme-prod"
    assert project.config["projectId"] == "acme-prod" and project.config["name"] == "projects/412345678901"
    assert project.config["iamPolicy"]["auditConfigs"][0]["service"] == "allServices"
    assert "containerscanning.googleapis.com" in project.config["enabledServices"]


def test_logging_and_monitoring(emulator: GcpEmulator) -> None:
    records = run(emulator, "logging")
    assert len(by_type(records, "gcp.logging.metric")) == 7
    assert len([r for r in records if r.type == "gcp.monitoring.alert_policy"]) == 7
    summary = next(r for r in records if r.type == "gcp.logging.project")
    assert summary.uid == "//logging.googleapis.com/projects/acme-prod" and "_errors" not in summary.config


def test_a_failing_monitoring_api_is_reported_on_the_logging_summary(emulator: GcpEmulator) -> None:
    emulator.fail("monitoring", status=500)
    with pytest.raises(Exception, match="simulated monitoring failure") as raised:
        list(run(emulator, "logging"))
    assert PROVIDER.classify_error(raised.value) == "error"
    session = session_for(emulator)
    result = collect(PROVIDER, session, plan(PROVIDER, session, target(emulator)))
    summary = next(r for r in result.records if r.type == "gcp.logging.project")
    assert summary.config["_errors"]["alertPolicies"] == "the call failed (InternalServerError, HTTP 500)"
    assert len([r for r in result.records if r.type == "gcp.logging.metric"]) == 7  # kept
    assert [(e.service, e.kind) for e in result.errors] == [("logging", "error")]


def test_throttling_is_retried(emulator: GcpEmulator) -> None:
    emulator.fail("iam", status=429, times=2)
    accounts = by_type(run(emulator, "iam"), "gcp.iam.service_account")
    assert len(accounts) == 3


@pytest.mark.usefixtures("per_service")
def test_throttling_that_does_not_stop_is_reported_as_throttled(emulator: GcpEmulator) -> None:
    emulator.fail("iam", status=429)
    session = session_for(emulator)
    result = collect(PROVIDER, session, plan(PROVIDER, session, target(emulator)))
    assert [(e.service, e.kind) for e in result.errors] == [("iam", "throttled")]


@pytest.mark.usefixtures("per_service")
@pytest.mark.parametrize("junk", ['{"accounts": "not a list"}', "<html>502 Bad Gateway</html>", "[1, 2]"])
def test_junk_from_the_api_is_an_invalid_response(emulator: GcpEmulator, junk: str) -> None:
    emulator.junk("iam", junk)
    session = session_for(emulator)
    result = collect(PROVIDER, session, plan(PROVIDER, session, target(emulator)))
    assert [(e.service, e.kind) for e in result.errors] == [("iam", "invalid_response")]
    assert any(r.type == "gcp.container.cluster" for r in result.records)


@pytest.mark.usefixtures("per_service")
def test_junk_from_a_client_library_api_is_reported_and_isolated(emulator: GcpEmulator) -> None:
    emulator.junk("container", "<html>oops</html>")
    session = session_for(emulator)
    result = collect(PROVIDER, session, plan(PROVIDER, session, target(emulator)))
    assert [e.service for e in result.errors] == ["container"]
    assert any(r.type == "gcp.storage.bucket" for r in result.records)


def test_cloud_sql_instances_paged_with_replica_credentials_redacted(emulator: GcpEmulator) -> None:
    emulator.page_size = 1
    legacy = emulator.estate["projects"][1]["sqlInstances"][0]
    legacy["replicaConfiguration"] = {"mysqlReplicaConfiguration": {"username": "repl", "password": "hunter2-sql"}}
    legacy["rootPassword"] = "r00t-secret"
    instances = by_type(run(emulator, "sql", projects="acme-prod,acme-sandbox"), "gcp.sql.instance")
    assert set(instances) == {
        *("orders-pg", "orders-pg-replica", "wiki-mysql", "billing-mssql"),
        *("legacy-mysql", "reports-pg", "reports-mssql"),
    }
    mysql = instances["legacy-mysql"]
    assert mysql.uid == "//cloudsql.googleapis.com/projects/acme-sandbox/instances/legacy-mysql"
    assert (mysql.region, mysql.tags, mysql.config["_project"]) == ("us-central1", {"env": "sandbox"}, "acme-sandbox")
    assert mysql.config["settings"]["ipConfiguration"]["authorizedNetworks"][0]["value"] == "0.0.0.0/0"
    assert "hunter2-sql" not in json.dumps(mysql.config) and "r00t-secret" not in json.dumps(mysql.config)
    assert len([p for api, p in emulator.calls if api == "sqladmin"]) == 7  # one instance a page
    session = session_for(emulator, projects="acme-prod,acme-sandbox")
    session.regions = ("europe-west1",)
    spec = next(s for s in REGISTRY.collectors("gcp") if s.service == "sql")
    assert {r.config["_project"] for r in spec.fn(session, "global")} == {"acme-prod"}


def test_a_project_refusing_cloud_sql_loses_only_its_own_instances(emulator: GcpEmulator) -> None:
    emulator.fail("sqladmin", status=403, match="acme-sandbox")
    spec = next(s for s in REGISTRY.collectors("gcp") if s.service == "sql")
    kept: list[ResourceRecord] = []
    with pytest.raises(ScopeFailures) as raised:
        kept.extend(spec.fn(session_for(emulator, projects="acme-prod,acme-sandbox"), "global"))
    assert {r.config["_project"] for r in kept} == {"acme-prod"} and len(kept) == 4
    assert list(raised.value.failures) == ["acme-sandbox"] and PROVIDER.classify_error(raised.value) == "denied"
