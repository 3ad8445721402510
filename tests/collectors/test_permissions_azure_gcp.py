"""Azure and Google Cloud: every request a collector sends to the emulator is covered by its declaration.

Azure names an operation after the Resource Manager path (:mod:`collectors.azure.operations`); Google Cloud's request
paths are mapped to permissions by the table below, and a path it does not know fails the test.
"""

from __future__ import annotations

import re

import collectors.azure
import collectors.gcp
from collectors import REGISTRY
from collectors.azure.operations import operation as azure_operation
from emulators.azure import ArmEmulator
from emulators.azure.demo import demo_estate as azure_estate
from emulators.gcp import GcpEmulator
from emulators.gcp import demo_estate as gcp_estate
from emulators.gcp.estate import FOLDER
from tests.collectors.azure.conftest import TOKEN as AZURE_TOKEN
from tests.collectors.azure.conftest import target as azure_target
from tests.collectors.gcp.conftest import TOKEN as GCP_TOKEN
from tests.collectors.gcp.conftest import session_for

P = r"/projects/[^/:]+"
KMS_KEY_POLICY = "cloudkms.cryptoKeys.getIamPolicy"
GCP_PERMISSIONS = [  # (api, path) -> the permission Google Cloud checks for it
    ("container", rf"/v1{P}/locations/[^/]+/clusters", "container.clusters.list"),
    ("container", rf"/v1{P}/locations/[^/]+/clusters/[^/]+", "container.clusters.get"),
    ("compute", rf"/compute/v1{P}/global/networks", "compute.networks.list"),
    ("compute", rf"/compute/v1{P}/aggregated/subnetworks", "compute.subnetworks.list"),
    ("compute", rf"/compute/v1{P}/global/firewalls", "compute.firewalls.list"),
    ("compute", rf"/compute/v1{P}/aggregated/instances", "compute.instances.list"),
    ("compute", rf"/compute/v1{P}", "compute.projects.get"),
    ("storage", r"/storage/v1/b", "storage.buckets.list"),
    ("storage", r"/storage/v1/b/[^/]+/iam", "storage.buckets.getIamPolicy"),
    ("cloudresourcemanager", rf"/v3{P}", "resourcemanager.projects.get"),
    ("cloudresourcemanager", rf"/v3{P}:getIamPolicy", "resourcemanager.projects.getIamPolicy"),
    ("cloudresourcemanager", r"/v3/projects", "resourcemanager.projects.list"),
    ("cloudresourcemanager", r"/v3/folders", "resourcemanager.folders.list"),
    ("serviceusage", rf"/v1{P}/services", "serviceusage.services.list"),
    ("iam", rf"/v1{P}/serviceAccounts", "iam.serviceAccounts.list"),
    ("iam", rf"/v1{P}/serviceAccounts/[^/]+/keys", "iam.serviceAccountKeys.list"),
    ("cloudkms", rf"/v1{P}/locations", "cloudkms.locations.list"),
    ("cloudkms", rf"/v1{P}/locations/[^/]+/keyRings", "cloudkms.keyRings.list"),
    ("cloudkms", rf"/v1{P}/locations/[^/]+/keyRings/[^/]+/cryptoKeys", "cloudkms.cryptoKeys.list"),
    ("cloudkms", rf"/v1{P}/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+:getIamPolicy", KMS_KEY_POLICY),
    ("logging", rf"/v2{P}/sinks", "logging.sinks.list"),
    ("logging", rf"/v2{P}/metrics", "logging.logMetrics.list"),
    ("monitoring", rf"/v3{P}/alertPolicies", "monitoring.alertPolicies.list"),
    ("containeranalysis", rf"/v1{P}/occurrences", "containeranalysis.occurrences.list"),
    ("cloudasset", rf"/v1{P}/assets", "cloudasset.assets.listResource"),
    ("cloudasset", r"/v1/(folders|organizations)/[^/]+/assets", "cloudasset.assets.listResource"),
    (
        "artifactregistry",
        rf"/v1{P}/locations/[^/]+/repositories/[^/]+/dockerImages",
        "artifactregistry.dockerimages.list",
    ),
    ("sqladmin", rf"/v1{P}/instances", "cloudsql.instances.list"),
    ("apikeys", rf"/v2{P}/locations/global/keys", "apikeys.keys.list"),
    ("essentialcontacts", rf"/v1{P}/contacts:compute", "essentialcontacts.contacts.list"),
    ("dns", rf"/dns/v1{P}/managedZones", "dns.managedZones.list"),
    ("dns", rf"/dns/v1{P}/policies", "dns.policies.list"),
    ("bigquery", rf"/bigquery/v2{P}/datasets(/[^/]+)?", "bigquery.datasets.get"),  # list and get alike
    ("bigquery", rf"/bigquery/v2{P}/datasets/[^/]+/tables", "bigquery.tables.list"),
    ("bigquery", rf"/bigquery/v2{P}/datasets/[^/]+/tables/[^/]+", "bigquery.tables.get"),
    ("dataproc", rf"/v1{P}/regions/[^/]+/clusters", "dataproc.clusters.list"),
    ("accessapproval", rf"/v1{P}/accessApprovalSettings", "accessapproval.settings.get"),
    ("compute", rf"/compute/v1{P}/regions", "compute.regions.list"),
    ("compute", rf"/compute/v1{P}/aggregated/backendServices", "compute.backendServices.list"),
    ("compute", rf"/compute/v1{P}/aggregated/sslPolicies", "compute.sslPolicies.list"),
    ("compute", rf"/compute/v1{P}/aggregated/targetHttpsProxies", "compute.targetHttpsProxies.list"),
    ("compute", rf"/compute/v1{P}/global/targetSslProxies", "compute.targetSslProxies.list"),
    ("compute", rf"/compute/v1{P}/global/forwardingRules", "compute.globalForwardingRules.list"),
    ("cloudfunctions", rf"/v2{P}/locations/[^/]+/functions", "cloudfunctions.functions.list"),
    ("appengine", r"/v1/apps/[^/]+", "appengine.applications.get"),
    ("appengine", r"/v1/apps/[^/]+/services", "appengine.services.list"),
    ("appengine", r"/v1/apps/[^/]+/services/[^/]+/versions", "appengine.versions.list"),
    ("orgpolicy", rf"/v2{P}/policies/[^/:]+:getEffectivePolicy", "orgpolicy.policy.get"),
    ("cloudresourcemanager", r"/v3/folders/[^/:]+", "resourcemanager.folders.get"),
    ("accesscontextmanager", r"/v1/accessPolicies", "accesscontextmanager.policies.list"),
    (
        "accesscontextmanager",
        r"/v1/accessPolicies/[^/]+/servicePerimeters",
        "accesscontextmanager.servicePerimeters.list",
    ),
]


def gcp_permission(api: str, path: str) -> str:
    for known_api, pattern, permission in GCP_PERMISSIONS:
        if api == known_api and re.fullmatch(pattern, path):
            return permission
    raise AssertionError(f"no permission known for {api} {path}: add it to GCP_PERMISSIONS")


def lower(values: set[str] | tuple[str, ...]) -> set[str]:
    return {v.lower() for v in values}  # Azure operation names are case-insensitive


def test_azure_operations_are_named_as_azure_names_them() -> None:
    assert azure_operation("GET", "/subscriptions/S?api-version=1") == "Microsoft.Resources/subscriptions/read"
    flow_logs = "/subscriptions/S/resourceGroups/G/providers/Microsoft.Network/networkWatchers/W/flowLogs"
    assert azure_operation("GET", flow_logs) == "Microsoft.Network/networkWatchers/flowLogs/read"
    sub_assessments = "/subscriptions/S/providers/Microsoft.Security/subAssessments"
    assert azure_operation("GET", sub_assessments) == "Microsoft.Security/assessments/subAssessments/read"
    credential = "/subscriptions/S/providers/Microsoft.ContainerService/managedClusters/C/listClusterUserCredential"
    assert (
        azure_operation("POST", credential)
        == "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action"
    )


def test_every_azure_request_is_declared(monkeypatch) -> None:
    """Each collector's own listing (bulk inventory off): its requests are exactly its declaration."""
    monkeypatch.setenv("POSTURE_BULK_INVENTORY", "off")
    provider = collectors.azure.PROVIDER
    with ArmEmulator(azure_estate(), token=AZURE_TOKEN) as emulator:
        session = provider.connect(azure_target(emulator))
        provider.identify(session)
        own = {azure_operation(m, p) for m, p in emulator.requests}
        assert lower(own) <= lower(provider.permissions)
        undeclared, unused = {}, {}
        for spec in REGISTRY.collectors("azure"):
            start = len(emulator.requests)
            list(spec.fn(session, "global"))
            calls = lower({azure_operation(m, p) for m, p in emulator.requests[start:]})
            assert calls, f"{spec.service} sent no request"
            if calls - lower(spec.permissions):
                undeclared[spec.service] = sorted(calls - lower(spec.permissions))
            if lower(spec.permissions) - calls:
                unused[spec.service] = sorted(lower(spec.permissions) - calls)
    assert not undeclared, f"requests not declared in the collector's permissions=(...): {undeclared}"
    assert not unused, f"declared but never requested: {unused}"


def test_every_google_cloud_request_is_declared(monkeypatch) -> None:
    """Each collector's own listing (bulk inventory off): its requests are exactly its declaration."""
    monkeypatch.setenv("POSTURE_BULK_INVENTORY", "off")
    provider = collectors.gcp.PROVIDER
    with GcpEmulator(gcp_estate(), token=GCP_TOKEN) as emulator:
        session = session_for(emulator)
        provider.identify(session)
        assert {gcp_permission(*call) for call in emulator.calls} <= set(provider.permissions)
        undeclared, unused = {}, {}
        for spec in REGISTRY.collectors("gcp"):
            start = len(emulator.calls)
            list(spec.fn(session, "global"))
            calls = {gcp_permission(*call) for call in emulator.calls[start:]}
            assert calls, f"{spec.service} sent no request"
            if calls - set(spec.permissions):
                undeclared[spec.service] = sorted(calls - set(spec.permissions))
            if set(spec.permissions) - calls:
                unused[spec.service] = sorted(set(spec.permissions) - calls)
        start = len(emulator.calls)
        folder = session_for(emulator, folder=FOLDER)
        assert folder.projects
        assert {gcp_permission(*call) for call in emulator.calls[start:]} <= set(provider.permissions)
    assert not undeclared, f"requests not declared in the collector's permissions=(...): {undeclared}"
    assert not unused, f"declared but never requested: {unused}"


def test_an_azure_refusal_names_the_operation_of_the_refused_request() -> None:
    provider = collectors.azure.PROVIDER
    with ArmEmulator(azure_estate(), token=AZURE_TOKEN) as emulator:
        session = provider.connect(azure_target(emulator))
        emulator.fail("/diagnosticSettings", 403)
        errors = {}
        for spec in REGISTRY.collectors("azure"):
            for record in spec.fn(session, "global"):
                errors.update(record.config.get("_errors") or {})
    hint = "the credentials lack Microsoft.Insights/diagnosticSettings/read; `manage.py permissions azure` prints"
    assert hint in errors["diagnosticSettings"]
    assert AZURE_TOKEN not in errors["diagnosticSettings"]


def test_bulk_inventory_needs_only_the_providers_declared_permission() -> None:
    """With bulk inventory on, the collectors send fewer requests, all declared; the bulk query is the provider's."""
    declared = lower(collectors.azure.PROVIDER.permissions)
    for spec in REGISTRY.collectors("azure"):
        declared |= lower(spec.permissions)
    with ArmEmulator(azure_estate(), token=AZURE_TOKEN) as emulator:
        session = collectors.azure.PROVIDER.connect(azure_target(emulator))
        for spec in REGISTRY.collectors("azure"):
            list(spec.fn(session, "global"))
        sent = lower({azure_operation(m, p) for m, p in emulator.requests})
    assert "microsoft.resourcegraph/resources/read" in sent & lower(collectors.azure.PROVIDER.permissions)
    assert sent <= declared

    declared_gcp = set(collectors.gcp.PROVIDER.permissions)
    for spec in REGISTRY.collectors("gcp"):
        declared_gcp |= set(spec.permissions)
    with GcpEmulator(gcp_estate(), token=GCP_TOKEN) as emulator:
        session = session_for(emulator)
        for spec in REGISTRY.collectors("gcp"):
            list(spec.fn(session, "global"))
        sent_gcp = {gcp_permission(*call) for call in emulator.calls}
    assert "cloudasset.assets.listResource" in sent_gcp & set(collectors.gcp.PROVIDER.permissions)
    assert sent_gcp <= declared_gcp
