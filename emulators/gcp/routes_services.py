"""The emulator's routes for API keys, Essential Contacts, Cloud DNS, BigQuery, Dataproc, Access Approval and
Compute Engine load balancing (data in :mod:`emulators.gcp.estate_services`).

A call to an API the project has not enabled (its ``enabledServices``) is answered as Google answers it: 403
PERMISSION_DENIED with an ``ErrorInfo`` of reason ``SERVICE_DISABLED`` (and ``accessNotConfigured`` in ``errors``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from emulators.gcp.routes import ApiError, P, Request, _compute_scope_link

TITLES = {
    "apikeys": "API Keys API",
    "essentialcontacts": "Essential Contacts API",
    "dns": "Cloud DNS API",
    "bigquery": "BigQuery API",
    "dataproc": "Cloud Dataproc API",
    "accessapproval": "Access Approval API",
    "cloudfunctions": "Cloud Functions API",
    "appengine": "App Engine Admin API",
    "orgpolicy": "Organization Policy API",
}


def service_disabled(api: str, number: str) -> ApiError:
    service = f"{api}.googleapis.com"
    message = (
        f"{TITLES.get(api, service)} has not been used in project {number} before or it is disabled. Enable it by "
        f"visiting https://console.developers.google.com/apis/api/{service}/overview?project={number} then retry."
    )
    return ApiError(
        403,
        message,
        errors=[{"message": message, "domain": "usageLimits", "reason": "accessNotConfigured"}],
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "SERVICE_DISABLED",
                "domain": "googleapis.com",
                "metadata": {"consumer": f"projects/{number}", "service": service},
            }
        ],
    )


def enabled(req: Request, api: str) -> dict[str, Any]:
    project = req.project()
    if f"{api}.googleapis.com" not in project.get("enabledServices", []):
        raise service_disabled(api, project["projectNumber"])
    return project


def _list(api: str, key: str, items_key: str, extra: dict[str, Any] | None = None) -> Callable[[Request], Any]:
    def handler(req: Request) -> dict[str, Any]:
        items = [{k: v for k, v in i.items() if not k.startswith("_")} for i in enabled(req, api).get(key, [])]
        return req.page(items, items_key, extra)

    return handler


def compute_contacts(req: Request) -> dict[str, Any]:
    project = enabled(req, "essentialcontacts")
    if req.query.get("notificationCategories") != "ALL":
        raise ApiError(400, "the emulator computes contacts for notificationCategories=ALL only")
    return req.page(project.get("essentialContacts", []), "contacts")


# -- bigquery -------------------------------------------------------------------
def _dataset(req: Request) -> dict[str, Any]:
    for dataset in enabled(req, "bigquery").get("datasets", []):
        if dataset["datasetReference"]["datasetId"] == req.params["dataset"]:
            return dataset
    raise ApiError(404, f"Not found: Dataset {req.params['project']}:{req.params['dataset']}")


def list_datasets(req: Request) -> dict[str, Any]:
    found = [
        {k: d[k] for k in ("kind", "id", "datasetReference", "location", "type") if k in d}
        for d in enabled(req, "bigquery").get("datasets", [])
    ]
    return req.page(found, "datasets", {"kind": "bigquery#datasetList", "etag": "Q2E4Mw=="})


def get_dataset(req: Request) -> dict[str, Any]:
    return {k: v for k, v in copy.deepcopy(_dataset(req)).items() if not k.startswith("_")}


def list_tables(req: Request) -> dict[str, Any]:
    tables = _dataset(req).get("_tables", [])
    found = [{k: t[k] for k in ("kind", "id", "tableReference", "type", "creationTime") if k in t} for t in tables]
    return req.page(found, "tables", {"kind": "bigquery#tableList", "etag": "R2F4Mw==", "totalItems": len(found)})


def get_table(req: Request) -> dict[str, Any]:
    for table in _dataset(req).get("_tables", []):
        if table["tableReference"]["tableId"] == req.params["table"]:
            return copy.deepcopy(table)
    raise ApiError(404, f"Not found: Table {req.params['project']}:{req.params['dataset']}.{req.params['table']}")


# -- dataproc, access approval ----------------------------------------------------
def list_clusters(req: Request) -> dict[str, Any]:
    region = req.params["region"]
    clusters = [
        {k: v for k, v in c.items() if not k.startswith("_")}
        for c in enabled(req, "dataproc").get("dataprocClusters", [])
        if c.get("_region") == region
    ]
    return req.page(clusters, "clusters")


def access_approval_settings(req: Request) -> dict[str, Any]:
    settings = enabled(req, "accessapproval").get("accessApprovalSettings")
    if settings is None:
        raise ApiError(404, "Requested entity was not found.")
    return copy.deepcopy(settings)


# -- cloud functions, app engine, organization policy --------------------------------
def list_functions(req: Request) -> dict[str, Any]:
    location = req.params["location"]
    found = [
        f for f in enabled(req, "cloudfunctions").get("functions", []) if location in ("-", f["name"].split("/")[3])
    ]
    return req.page(found, "functions")


def _app(req: Request) -> dict[str, Any]:
    app = enabled(req, "appengine").get("appEngine")
    if not app:
        raise ApiError(404, f'Could not find Application "{req.params["project"]}".')
    return app


def get_app(req: Request) -> dict[str, Any]:
    return copy.deepcopy(_app(req)["app"])


def list_app_services(req: Request) -> dict[str, Any]:
    return req.page(_app(req)["services"], "services")


def list_app_versions(req: Request) -> dict[str, Any]:
    if req.query.get("view") != "FULL":
        raise ApiError(400, "the emulator answers view=FULL only")
    return req.page(_app(req)["versions"].get(req.params["service"], []), "versions")


def effective_policy(req: Request) -> dict[str, Any]:
    policies = enabled(req, "orgpolicy").get("orgPolicies", {})
    if req.params["constraint"] not in policies:
        raise ApiError(400, f"Constraint constraints/{req.params['constraint']} is invalid.")
    return copy.deepcopy(policies[req.params["constraint"]])


# -- resource manager folders, access context manager --------------------------------
def get_folder(req: Request) -> dict[str, Any]:
    name = f"folders/{req.params['folder']}"
    for folder in req.estate.get("folders", []):
        if folder.get("name") == name:
            return copy.deepcopy(folder)
    raise ApiError(403, f"Permission 'resourcemanager.folders.get' denied on resource '{name}' (or it may not exist).")


def list_access_policies(req: Request) -> dict[str, Any]:
    parent = req.query.get("parent", "")
    if not parent.startswith("organizations/"):
        raise ApiError(400, "parent must be organizations/ORGANIZATION_ID")
    found = [p for p in req.estate.get("accessPolicies", []) if p.get("parent") == parent]
    return req.page(found, "accessPolicies")


def list_perimeters(req: Request) -> dict[str, Any]:
    name = f"accessPolicies/{req.params['policy']}"
    if name not in req.estate.get("servicePerimeters", {}):
        raise ApiError(404, f"Access policy {name} not found.")
    return req.page(req.estate["servicePerimeters"][name], "servicePerimeters")


# -- compute: regions and load balancing ------------------------------------------
def list_regions(req: Request) -> dict[str, Any]:
    project = req.project()
    regions = [
        {
            "kind": "compute#region",
            "id": str(1000 + n),
            "name": name,
            "status": "UP",
            "selfLink": _compute_scope_link(project["projectId"], f"regions/{name}"),
        }
        for n, name in enumerate(project.get("computeRegions", []))
    ]
    return req.page(regions, "items", {"kind": "compute#regionList"})


def _scope(item: dict[str, Any]) -> str:
    return "regions/" + str(item["region"]).rsplit("/", 1)[-1] if item.get("region") else "global"


def _aggregated(key: str, kind: str) -> Callable[[Request], dict[str, Any]]:
    """An aggregated list whose items may be global (no ``region``) or regional."""

    def handler(req: Request) -> dict[str, Any]:
        project = req.project()
        flat = [(_scope(item), item) for item in project.get(key, [])]
        page = req.page(flat, "items")
        grouped: dict[str, dict[str, Any]] = {}
        for scope, item in page.get("items", []):
            grouped.setdefault(scope, {key: []})[key].append(item)
        body: dict[str, Any] = {
            "kind": f"compute#{kind}AggregatedList",
            "id": f"projects/{project['projectId']}/aggregated/{key}",
            "items": grouped,
        }
        if "nextPageToken" in page:
            body["nextPageToken"] = page["nextPageToken"]
        return body

    return handler


def list_global_forwarding_rules(req: Request) -> dict[str, Any]:
    return req.page(req.project().get("globalForwardingRules", []), "items", {"kind": "compute#forwardingRuleList"})


def list_target_ssl_proxies(req: Request) -> dict[str, Any]:
    return req.page(req.project().get("targetSslProxies", []), "items", {"kind": "compute#targetSslProxyList"})


D = r"(?P<dataset>[^/]+)"
ZONES = _list("dns", "dnsZones", "managedZones", {"kind": "dns#managedZonesListResponse"})
POLICIES = _list("dns", "dnsPolicies", "policies", {"kind": "dns#policiesListResponse"})
AGG = "/compute/v1/projects/" + P + "/aggregated"
SERVICE_ROUTES: list[tuple[str, str, str, Callable[[Request], dict[str, Any]]]] = [
    ("apikeys", "GET", rf"/v2/projects/{P}/locations/global/keys", _list("apikeys", "apiKeys", "keys")),
    ("essentialcontacts", "GET", rf"/v1/projects/{P}/contacts:compute", compute_contacts),
    ("dns", "GET", rf"/dns/v1/projects/{P}/managedZones", ZONES),
    ("dns", "GET", rf"/dns/v1/projects/{P}/policies", POLICIES),
    ("bigquery", "GET", rf"/bigquery/v2/projects/{P}/datasets", list_datasets),
    ("bigquery", "GET", rf"/bigquery/v2/projects/{P}/datasets/{D}", get_dataset),
    ("bigquery", "GET", rf"/bigquery/v2/projects/{P}/datasets/{D}/tables", list_tables),
    ("bigquery", "GET", rf"/bigquery/v2/projects/{P}/datasets/{D}/tables/(?P<table>[^/]+)", get_table),
    ("dataproc", "GET", rf"/v1/projects/{P}/regions/(?P<region>[^/]+)/clusters", list_clusters),
    ("accessapproval", "GET", rf"/v1/projects/{P}/accessApprovalSettings", access_approval_settings),
    ("compute", "GET", rf"/compute/v1/projects/{P}/regions", list_regions),
    ("cloudresourcemanager", "GET", r"/v3/folders/(?P<folder>[^/:]+)", get_folder),
    ("accesscontextmanager", "GET", r"/v1/accessPolicies", list_access_policies),
    ("accesscontextmanager", "GET", r"/v1/accessPolicies/(?P<policy>[^/]+)/servicePerimeters", list_perimeters),
    ("cloudfunctions", "GET", rf"/v2/projects/{P}/locations/(?P<location>[^/]+)/functions", list_functions),
    ("appengine", "GET", rf"/v1/apps/{P}", get_app),
    ("appengine", "GET", rf"/v1/apps/{P}/services", list_app_services),
    ("appengine", "GET", rf"/v1/apps/{P}/services/(?P<service>[^/]+)/versions", list_app_versions),
    ("orgpolicy", "GET", rf"/v2/projects/{P}/policies/(?P<constraint>[^/:]+):getEffectivePolicy", effective_policy),
    ("compute", "GET", f"{AGG}/backendServices", _aggregated("backendServices", "backendService")),
    ("compute", "GET", f"{AGG}/sslPolicies", _aggregated("sslPolicies", "sslPolicies")),
    ("compute", "GET", f"{AGG}/targetHttpsProxies", _aggregated("targetHttpsProxies", "targetHttpsProxy")),
    ("compute", "GET", rf"/compute/v1/projects/{P}/global/targetSslProxies", list_target_ssl_proxies),
    ("compute", "GET", rf"/compute/v1/projects/{P}/global/forwardingRules", list_global_forwarding_rules),
]  # fmt: skip
