"""API keys, Essential Contacts, Cloud DNS, BigQuery, Dataproc, Access Approval and load balancing.

The emulator's documents are checked against the APIs' own schemas (discovery documents, compute protos); each
collector runs against the emulator; an API a project has not enabled is recorded as such and the scan goes on;
and the demo estate's records give the new rules both a PASS and a FAIL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import google.api_core.exceptions as gexc
import pytest
from google.cloud import compute_v1

import posture.rules.packs  # noqa: F401  (the rule registry, filled on import of the packs)
from collectors.gcp.api_state import api_disabled
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY
from emulators.gcp import GcpEmulator, demo_estate
from emulators.gcp.routes_services import service_disabled
from posture.rules.evaluate import evaluate
from posture.rules.packs import import_rule_packs
from tests.collectors.gcp.conftest import session_for
from tests.collectors.gcp.test_emulator_shapes import check, parse

ESTATE = demo_estate()
SERVICES = (
    "apikeys",
    "essentialcontacts",
    "dns",
    "bigquery",
    "dataproc",
    "accessapproval",
    "compute_load_balancing",
    "cloudfunctions",
    "appengine",
    "orgpolicy",
    "accesscontextmanager",
    "compute_private_service_connect",
)
BOTH = "acme-prod,acme-sandbox"


def run(emulator: GcpEmulator, service: str, projects: str = BOTH) -> list[ResourceRecord]:
    spec = next(s for s in REGISTRY.collectors("gcp") if s.service == service)
    return list(spec.fn(session_for(emulator, projects=projects), "global"))


def by_uid(records: list[ResourceRecord]) -> dict[str, ResourceRecord]:
    return {r.uid: r for r in records}


@pytest.mark.parametrize("project", ESTATE["projects"], ids=lambda p: p["projectId"])
def test_the_documents_have_the_apis_shapes(project: dict) -> None:
    check("apikeys.v2.json", "V2Key", project["apiKeys"])
    check("essentialcontacts.v1.json", "GoogleCloudEssentialcontactsV1Contact", project["essentialContacts"])
    check("dns.v1.json", "ManagedZone", project["dnsZones"])
    check("dns.v1.json", "Policy", project["dnsPolicies"])
    check("bigquery.v2.json", "Dataset", project["datasets"])
    check("bigquery.v2.json", "Table", [t for d in project["datasets"] for t in d["_tables"]])
    check("dataproc.v1.json", "Cluster", project["dataprocClusters"])
    check("accessapproval.v1.json", "AccessApprovalSettings", [project["accessApprovalSettings"] or {}])
    check("cloudfunctions.v2.json", "Function", project["functions"])
    check("appengine.v1.json", "Application", [project["appEngine"]["app"]])
    check("appengine.v1.json", "Service", project["appEngine"]["services"])
    check("appengine.v1.json", "Version", [v for vs in project["appEngine"]["versions"].values() for v in vs])
    check("orgpolicy.v2.json", "GoogleCloudOrgpolicyV2Policy", list(project["orgPolicies"].values()))
    check("accesscontextmanager.v1.json", "AccessPolicy", ESTATE["accessPolicies"])
    check(
        "accesscontextmanager.v1.json",
        "ServicePerimeter",
        [p for ps in ESTATE["servicePerimeters"].values() for p in ps],
    )
    for kind, message in (
        ("backendServices", compute_v1.BackendService),
        ("sslPolicies", compute_v1.SslPolicy),
        ("targetHttpsProxies", compute_v1.TargetHttpsProxy),
        ("targetSslProxies", compute_v1.TargetSslProxy),
        ("globalForwardingRules", compute_v1.ForwardingRule),
    ):
        for doc in project[kind]:
            parse(message, doc)


def test_a_disabled_api_is_told_apart_from_a_refusal() -> None:
    error = service_disabled("dns", "498765432109")
    assert error.details[0]["reason"] == "SERVICE_DISABLED"
    assert api_disabled(gexc.Forbidden("x", errors=error.errors))
    assert api_disabled(gexc.Forbidden("x", details=[], response=None)) is False
    assert api_disabled(gexc.NotFound("SERVICE_DISABLED")) is False


def test_api_keys_and_their_project_summary(emulator: GcpEmulator) -> None:
    records = run(emulator, "apikeys")
    keys = [r for r in records if r.type == "gcp.apikeys.key"]
    assert {k.name for k in keys} == {"storefront maps", "old prototype"}
    prod = next(k for k in keys if k.config["_project"] == "acme-prod")
    assert prod.uid.startswith("//apikeys.googleapis.com/projects/412345678901/locations/global/keys/")
    assert prod.config["restrictions"]["apiTargets"] == [{"service": "maps-backend.googleapis.com"}]
    summaries = {r.config["_project"]: r.config for r in records if r.type == "gcp.apikeys.project"}
    assert summaries["acme-sandbox"]["keys"] == [
        k.config["name"] for k in keys if k.config["_project"] == "acme-sandbox"
    ]


def test_a_key_string_in_an_answer_is_never_kept(emulator: GcpEmulator) -> None:
    emulator.estate["projects"][0]["apiKeys"][0]["keyString"] = "AIzaSyD-not-a-real-key-0123456789abcdef"
    records = run(emulator, "apikeys", "acme-prod")
    assert "AIzaSyD" not in json.dumps([r.config for r in records])


def test_an_api_the_project_never_enabled_is_recorded_and_the_scan_goes_on(emulator: GcpEmulator) -> None:
    contacts = {r.config["_project"]: r.config for r in run(emulator, "essentialcontacts")}
    assert contacts["acme-prod"]["contacts"][0]["notificationCategorySubscriptions"] == ["ALL"]
    sandbox = contacts["acme-sandbox"]
    assert sandbox["serviceEnabled"] is False
    assert sandbox["_errors"] == {"contacts": "essentialcontacts.googleapis.com is not enabled in the project"}
    assert [r.name for r in run(emulator, "dataproc")] == ["etl"]  # the sandbox never enabled Dataproc

    emulator.estate["projects"][1]["enabledServices"].remove("dns.googleapis.com")
    dns = [r for r in run(emulator, "dns") if r.config["_project"] == "acme-sandbox"]
    assert [r.type for r in dns] == ["gcp.dns.project"]
    assert dns[0].config["serviceEnabled"] is False and "_errors" not in dns[0].config


def test_a_refused_list_is_an_error_on_the_summary_and_a_failed_unit(emulator: GcpEmulator) -> None:
    emulator.fail("apikeys", status=403)
    with pytest.raises(gexc.Forbidden) as raised:
        run(emulator, "apikeys", "acme-prod")
    assert api_disabled(raised.value) is False
    emulator.clear()
    emulator.fail("dns", status=403, match="/policies")
    session = session_for(emulator, projects="acme-prod")
    spec = next(s for s in REGISTRY.collectors("gcp") if s.service == "dns")
    kept: list[ResourceRecord] = []
    with pytest.raises(gexc.Forbidden):
        for item in spec.fn(session, "global"):
            kept.append(item)
    summary = next(r for r in kept if r.type == "gcp.dns.project")
    assert "policies" in summary.config["_errors"] and summary.config["managedZones"] == ["acme-example", "internal"]
    emulator.clear()
    emulator.fail("orgpolicy", status=403, match="compute.requireOsLogin")
    spec = next(s for s in REGISTRY.collectors("gcp") if s.service == "orgpolicy")
    policies: list[ResourceRecord] = []
    with pytest.raises(gexc.Forbidden):
        policies.extend(spec.fn(session, "global"))  # the record comes first, then the refusal is raised
    assert list(policies[0].config["_errors"]) == ["compute.requireOsLogin"]
    assert len(policies[0].config["effectivePolicies"]) == 5


def test_dns_bigquery_dataproc_access_approval_and_load_balancing(emulator: GcpEmulator) -> None:
    emulator.page_size = 1
    zones = {r.name: r for r in run(emulator, "dns") if r.type == "gcp.dns.managed_zone"}
    assert zones["legacy-example"].config["dnssecConfig"]["defaultKeySpecs"][0]["algorithm"] == "rsasha1"
    bq = by_uid(run(emulator, "bigquery"))
    dataset = bq["//bigquery.googleapis.com/projects/acme-sandbox/datasets/shared_exports"]
    assert {"role": "READER", "specialGroup": "allAuthenticatedUsers"} in dataset.config["access"]
    table = bq["//bigquery.googleapis.com/projects/acme-prod/datasets/analytics/tables/events"]
    assert table.config["encryptionConfiguration"]["kmsKeyName"].endswith("/cryptoKeys/bigquery")
    assert table.region == "eu"
    cluster = run(emulator, "dataproc", "acme-prod")[0]
    assert cluster.uid == "//dataproc.googleapis.com/projects/acme-prod/regions/europe-west1/clusters/etl"
    approval = {r.config["_project"]: r.config for r in run(emulator, "accessapproval")}
    assert approval["acme-prod"]["settings"]["enrolledServices"][0]["cloudProduct"] == "all"
    assert approval["acme-sandbox"]["settings"] == {"name": "projects/acme-sandbox/accessApprovalSettings"}
    lb = {(r.type, r.config["_project"]): r for r in run(emulator, "compute_load_balancing")}
    assert lb[("gcp.compute.target_ssl_proxy", "acme-sandbox")].config["sslPolicy"].endswith("/legacy-clients")
    assert lb[("gcp.compute.backend_service", "acme-prod")].config["logConfig"] == {"enable": True, "sampleRate": 1.0}


def test_functions_app_engine_and_organization_policies_keep_no_secret(emulator: GcpEmulator) -> None:
    functions = {r.name: r for r in run(emulator, "cloudfunctions")}
    export = functions["nightly-export"]
    assert (
        export.uid
        == "//cloudfunctions.googleapis.com/projects/acme-sandbox/locations/europe-west1/functions/nightly-export"
    )
    assert export.region == "europe-west1"
    assert export.config["serviceConfig"]["environmentVariables"]["DB_PASSWORD"] == "**redacted**"
    assert export.config["serviceConfig"]["environmentVariables"]["LOG_LEVEL"] == "info"
    assert [f["name"] for f in export.config["_literalSecrets"]] == ["DB_PASSWORD"]
    assert functions["resize-images"].config["_literalSecrets"] == []
    versions = run(emulator, "appengine")
    assert {v.uid for v in versions} == {
        f"//appengine.googleapis.com/apps/{p}/services/default/versions/v3" for p in ("acme-prod", "acme-sandbox")
    }
    assert versions[0].region == "europe-west"
    policies = {r.config["_project"]: r.config for r in run(emulator, "orgpolicy")}
    assert policies["acme-prod"]["effectivePolicies"]["compute.requireOsLogin"]["spec"] == {
        "rules": [{"enforce": True}]
    }
    everything = json.dumps([r.config for r in [*functions.values(), *versions]])
    assert "Winter2024!" not in everything and "tok-not-for-records" not in everything


def test_service_perimeters_through_the_project_s_organization(emulator: GcpEmulator) -> None:
    found = {r.config["_project"]: r.config for r in run(emulator, "accesscontextmanager")}
    prod = found["acme-prod"]
    assert (prod["projectNumber"], prod["organization"]) == ("projects/412345678901", "organizations/9001")
    assert [p["name"] for p in prod["perimeters"]] == ["accessPolicies/558712345678/servicePerimeters/production"]
    assert found["acme-sandbox"]["perimeters"] == []  # only a dry-run perimeter holds it
    listed = [path for api, path in emulator.calls if path == "/v1/accessPolicies"]
    assert len(listed) == 1  # the organization's policies are listed once for both projects


def test_a_project_without_app_engine_has_no_versions(emulator: GcpEmulator) -> None:
    emulator.estate["projects"][1]["appEngine"] = {}
    emulator.estate["projects"][0]["enabledServices"].remove("appengine.googleapis.com")
    assert run(emulator, "appengine") == []


@pytest.fixture(scope="module")
def demo_results() -> Iterator[dict[tuple[str, str], str]]:
    import_rule_packs()
    with GcpEmulator(demo_estate(), token="ya29.test-token") as emulator:
        records = [r for s in (*SERVICES, "compute_networks") for r in run(emulator, s)]
    yield {(r.rule_id, r.resource_uid): str(r.status) for r in evaluate(records)}


PROD_KEY = "412345678901/locations/global/keys/8f0c2a4e-1b7d-4c52-9a31-5e2f7b6d0c11"
SANDBOX_KEY = "498765432109/locations/global/keys/2d9b7e31-64a0-4f0e-8c55-0a7e1f3b9d22"
FUNCTIONS = "acme-prod/locations/europe-west1/functions/"
SANDBOX_FN = "acme-sandbox/locations/europe-west1/functions/"


@pytest.mark.parametrize(
    ("rule", "api", "path", "status"),
    [
        ("apikeys.key_restricted_to_apis", "apikeys", PROD_KEY, "PASS"),
        ("apikeys.key_rotated", "apikeys", SANDBOX_KEY, "FAIL"),
        ("essentialcontacts.required_categories", "essentialcontacts", "acme-prod", "PASS"),
        ("essentialcontacts.required_categories", "essentialcontacts", "acme-sandbox", "ERROR"),
        ("dns.network_query_logging", "compute", "acme-prod/global/networks/prod-vpc", "PASS"),
        ("dns.network_query_logging", "compute", "acme-sandbox/global/networks/prod-vpc", "FAIL"),
        ("dns.zone_dnssec_enabled", "dns", "acme-sandbox/managedZones/sandbox-example", "FAIL"),
        ("dns.zone_key_signing_not_rsasha1", "dns", "acme-prod/managedZones/acme-example", "PASS"),
        ("dns.zone_zone_signing_not_rsasha1", "dns", "acme-sandbox/managedZones/legacy-example", "FAIL"),
        ("bigquery.dataset_not_public", "bigquery", "acme-sandbox/datasets/shared_exports", "FAIL"),
        ("bigquery.dataset_default_cmek", "bigquery", "acme-prod/datasets/analytics", "PASS"),
        ("bigquery.table_cmek", "bigquery", "acme-sandbox/datasets/shared_exports/tables/customers", "FAIL"),
        ("dataproc.cluster_cmek", "dataproc", "acme-prod/regions/europe-west1/clusters/etl", "PASS"),
        ("accessapproval.enrolled", "accessapproval", "acme-prod/accessApprovalSettings", "PASS"),
        ("accessapproval.enrolled", "accessapproval", "acme-sandbox/accessApprovalSettings", "FAIL"),
        ("compute.backend_service_logging", "compute", "acme-prod/global/backendServices/web", "PASS"),
        ("compute.backend_service_logging", "compute", "acme-sandbox/global/backendServices/web", "FAIL"),
        ("compute.target_https_proxy_strong_tls", "compute", "acme-prod/global/targetHttpsProxies/web", "PASS"),
        ("compute.target_https_proxy_strong_tls", "compute", "acme-sandbox/global/targetHttpsProxies/web", "FAIL"),
        ("compute.target_ssl_proxy_strong_tls", "compute", "acme-sandbox/global/targetSslProxies/mail-tls", "FAIL"),
        ("cloudfunctions.no_secrets_in_environment", "cloudfunctions", FUNCTIONS + "resize-images", "PASS"),
        ("cloudfunctions.no_secrets_in_environment", "cloudfunctions", SANDBOX_FN + "nightly-export", "FAIL"),
        ("appengine.version_https_only", "appengine", "acme-prod/services/default/versions/v3", "PASS"),
        ("appengine.version_https_only", "appengine", "acme-sandbox/services/default/versions/v3", "FAIL"),
        ("orgpolicy.guardrails_enforced", "orgpolicy", "acme-prod", "PASS"),
        ("orgpolicy.guardrails_enforced", "orgpolicy", "acme-sandbox", "FAIL"),
        ("accesscontextmanager.project_in_service_perimeter", "accesscontextmanager", "acme-prod", "PASS"),
        ("compute.network_google_apis_private_endpoint", "compute", "acme-prod/global/networks/prod-vpc", "PASS"),
        ("compute.network_google_apis_private_endpoint", "compute", "acme-sandbox/global/networks/default", "FAIL"),
        ("accesscontextmanager.project_in_service_perimeter", "accesscontextmanager", "acme-sandbox", "FAIL"),
    ],
)
def test_the_demo_estate_gives_the_new_rules_a_pass_and_a_fail(demo_results, rule, api, path, status) -> None:
    uid = f"//{api}.googleapis.com/{'apps' if api == 'appengine' else 'projects'}/{path}"
    assert demo_results.get((f"gcp.{rule}", uid)) == status
