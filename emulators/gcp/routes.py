"""The REST paths the emulator serves, one small function each, answering from the estate."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

P = r"(?P<project>[^/:]+)"


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, errors: list[dict[str, Any]] | None = None, details: list[Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []  # the JSON APIs' error.errors[] (reason, domain)
        self.details = details or []  # google.rpc details (ErrorInfo ...)


@dataclass
class Request:
    estate: dict[str, Any]
    params: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    default_page_size: int
    lists: dict[str, list[str]] = field(default_factory=dict)  # every value of a repeated query parameter

    def project(self) -> dict[str, Any]:
        wanted = self.params["project"]
        for project in self.estate.get("projects", []):
            if wanted in (project["projectId"], project["projectNumber"]):
                return project
        raise ApiError(403, f"Permission denied on resource project {wanted} (or it may not exist).")

    def page(self, items: list[Any], key: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        size = int(self.query.get("pageSize") or self.query.get("maxResults") or self.default_page_size or 500)
        start = int(self.query.get("pageToken") or 0)
        body: dict[str, Any] = dict(extra or {})
        chunk = items[start : start + size]
        if chunk:
            body[key] = copy.deepcopy(chunk)
        if start + size < len(items):
            body["nextPageToken"] = str(start + size)
        return body


def _compute_scope_link(project: str, scope: str) -> str:
    return f"https://www.googleapis.com/compute/v1/projects/{project}/{scope}"


def _scope_of(link: str, marker: str) -> str:
    parts = link.split("/")
    return f"{marker}/{parts[parts.index(marker) + 1]}"


# -- container --------------------------------------------------------------
def list_clusters(req: Request) -> dict[str, Any]:
    location = req.params["location"]
    clusters = [c for c in req.project().get("clusters", []) if location in ("-", c.get("location"))]
    return {"clusters": copy.deepcopy(clusters)}


def get_cluster(req: Request) -> dict[str, Any]:
    location, name = req.params["location"], req.params["cluster"]
    for cluster in req.project().get("clusters", []):
        if cluster.get("location") == location and cluster.get("name") == name:
            return copy.deepcopy(cluster)
    raise ApiError(404, f"Not found: projects/{req.params['project']}/locations/{location}/clusters/{name}.")


# -- compute ----------------------------------------------------------------
def _compute_list(key: str, kind: str) -> Callable[[Request], dict[str, Any]]:
    def handler(req: Request) -> dict[str, Any]:
        project = req.project()
        return req.page(
            project.get(key, []),
            "items",
            {
                "kind": f"compute#{kind}List",
                "id": f"projects/{project['projectId']}/global/{key}",
                "selfLink": _compute_scope_link(project["projectId"], f"global/{key}"),
            },
        )

    return handler


def _compute_aggregated(key: str, kind: str, marker: str) -> Callable[[Request], dict[str, Any]]:
    def handler(req: Request) -> dict[str, Any]:
        project = req.project()
        flat = [(_scope_of(item[marker[:-1]], marker), item) for item in project.get(key, [])]
        page = req.page(flat, "items")
        grouped: dict[str, dict[str, Any]] = {}
        for scope, item in page.get("items", []):
            grouped.setdefault(scope, {key: []})[key].append(item)
        body = {
            "kind": f"compute#{kind}AggregatedList",
            "id": f"projects/{project['projectId']}/aggregated/{key}",
            "items": grouped,
            "selfLink": _compute_scope_link(project["projectId"], f"aggregated/{key}"),
        }
        if "nextPageToken" in page:
            body["nextPageToken"] = page["nextPageToken"]
        return body

    return handler


def compute_project(req: Request) -> dict[str, Any]:
    return copy.deepcopy(req.project()["computeProject"])


# -- storage ----------------------------------------------------------------
def list_buckets(req: Request) -> dict[str, Any]:
    wanted = req.query.get("project")
    if not wanted:
        raise ApiError(400, "Required parameter: project")
    req.params["project"] = wanted
    return req.page(req.project().get("buckets", []), "items", {"kind": "storage#buckets"})


def bucket_iam(req: Request) -> dict[str, Any]:
    name = req.params["bucket"]
    for project in req.estate.get("projects", []):
        if any(b["name"] == name for b in project.get("buckets", [])):
            policy = copy.deepcopy(
                project.get("bucketPolicies", {}).get(name)
                or {
                    "bindings": [
                        {
                            "role": "roles/storage.legacyBucketOwner",
                            "members": [
                                f"projectEditor:{project['projectId']}",
                                f"projectOwner:{project['projectId']}",
                            ],
                        },
                        {
                            "role": "roles/storage.legacyBucketReader",
                            "members": [f"projectViewer:{project['projectId']}"],
                        },
                    ]
                }
            )
            version = int(req.query.get("optionsRequestedPolicyVersion") or 1)
            return {
                "kind": "storage#policy",
                "resourceId": f"projects/_/buckets/{name}",
                "version": min(version, 3),
                "etag": "CAE=",
                **policy,
            }
    raise ApiError(404, f"The specified bucket does not exist: {name}")


# -- resource manager -------------------------------------------------------
def _project_doc(project: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": f"projects/{project['projectNumber']}",
        "parent": project.get("parent", ""),
        "projectId": project["projectId"],
        "state": project.get("state", "ACTIVE"),
        "displayName": project.get("displayName", project["projectId"]),
        "createTime": project.get("createTime", "2020-01-01T00:00:00.000Z"),
        "etag": 'W/"1a2b3c4d"',
        "labels": project.get("labels", {}),
    }


def get_project(req: Request) -> dict[str, Any]:
    return _project_doc(req.project())


def project_iam(req: Request) -> dict[str, Any]:
    policy = copy.deepcopy(req.project().get("iamPolicy", {}))
    requested = int(req.body.get("options", {}).get("requestedPolicyVersion") or 1)
    policy["version"] = min(max(requested, 1), 3)
    return policy


def list_projects(req: Request) -> dict[str, Any]:
    parent = req.query.get("parent", "")
    found = [_project_doc(p) for p in req.estate.get("projects", []) if p.get("parent") == parent]
    return req.page(found, "projects")


def list_folders(req: Request) -> dict[str, Any]:
    parent = req.query.get("parent", "")
    found = [f for f in req.estate.get("folders", []) if f.get("parent") == parent]
    return req.page(found, "folders")


def list_services(req: Request) -> dict[str, Any]:
    project = req.project()
    if req.query.get("filter", "state:ENABLED") not in ("state:ENABLED", ""):
        raise ApiError(400, "unsupported filter")
    services = [
        {
            "name": f"projects/{project['projectNumber']}/services/{s}",
            "config": {"name": s, "title": s.split(".")[0]},
            "state": "ENABLED",
            "parent": f"projects/{project['projectNumber']}",
        }
        for s in project.get("enabledServices", [])
    ]
    return req.page(services, "services")


# -- iam --------------------------------------------------------------------
def list_service_accounts(req: Request) -> dict[str, Any]:
    accounts = [{k: v for k, v in a.items() if not k.startswith("_")} for a in req.project().get("serviceAccounts", [])]
    return req.page(accounts, "accounts")


def list_keys(req: Request) -> dict[str, Any]:
    for account in req.project().get("serviceAccounts", []):
        if req.params["account"] in (account["email"], account["uniqueId"]):
            return {"keys": copy.deepcopy(account.get("_keys", []))}
    raise ApiError(404, f"Service account {req.params['account']} does not exist.")


# -- kms --------------------------------------------------------------------
def list_locations(req: Request) -> dict[str, Any]:
    project = req.project()
    found = [
        {"name": f"projects/{project['projectId']}/locations/{loc}", "locationId": loc, "displayName": loc}
        for loc in project.get("kmsLocations", [])
    ]
    return req.page(found, "locations")


def _rings(project: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    rings: dict[str, list[dict[str, Any]]] = {}
    for key in project.get("cryptoKeys", []):
        rings.setdefault(key["name"].split("/cryptoKeys/")[0], []).append(key)
    return rings


def list_key_rings(req: Request) -> dict[str, Any]:
    project = req.project()
    prefix = f"projects/{project['projectId']}/locations/{req.params['location']}/keyRings/"
    rings = [
        {"name": name, "createTime": "2023-06-01T09:00:00.123456Z"}
        for name in _rings(project)
        if name.startswith(prefix)
    ]
    return req.page(rings, "keyRings", {"totalSize": len(rings)})


def list_crypto_keys(req: Request) -> dict[str, Any]:
    project = req.project()
    ring = f"projects/{project['projectId']}/locations/{req.params['location']}/keyRings/{req.params['ring']}"
    keys = _rings(project).get(ring, [])
    return req.page(keys, "cryptoKeys", {"totalSize": len(keys)})


def key_iam(req: Request) -> dict[str, Any]:
    project = req.project()
    name = (
        f"projects/{project['projectId']}/locations/{req.params['location']}/keyRings/{req.params['ring']}"
        f"/cryptoKeys/{req.params['key']}"
    )
    return copy.deepcopy(project.get("cryptoKeyPolicies", {}).get(name) or {"version": 1, "etag": "ACAB"})


# -- logging and monitoring -------------------------------------------------
def _project_list(key: str) -> Callable[[Request], dict[str, Any]]:
    def handler(req: Request) -> dict[str, Any]:
        return req.page(req.project().get(key, []), key)

    return handler


# -- cloud sql ----------------------------------------------------------------
def list_sql_instances(req: Request) -> dict[str, Any]:
    return req.page(req.project().get("sqlInstances", []), "items", {"kind": "sql#instancesList"})


# -- artifact analysis and artifact registry ---------------------------------
def list_occurrences(req: Request) -> dict[str, Any]:
    """Occurrences of the project, narrowed by a ``filter`` of ``field="value"`` terms joined by AND."""
    wanted = {}
    for term in filter(None, (t.strip() for t in req.query.get("filter", "").split(" AND "))):
        field, sep, value = term.partition("=")
        if not sep or not value.strip().startswith('"'):
            raise ApiError(400, f"Invalid filter: {term}")
        wanted[field.strip()] = value.strip().strip('"')
    if set(wanted) - {"kind", "resourceUri", "noteProjectId"}:
        raise ApiError(400, f"Unsupported filter field in {req.query['filter']}")
    found = [
        o
        for o in req.project().get("occurrences", [])
        if all(o.get(k) == v for k, v in wanted.items() if k != "noteProjectId")
    ]
    return req.page(found, "occurrences")


def list_docker_images(req: Request) -> dict[str, Any]:
    project = req.project()
    name = f"projects/{project['projectId']}/locations/{req.params['location']}/repositories/{req.params['repo']}"
    if name not in project.get("dockerImages", {}):
        raise ApiError(404, f"Requested entity was not found: {name}")
    return req.page(project["dockerImages"][name], "dockerImages")


ROUTES: list[tuple[str, str, str, Callable[[Request], dict[str, Any]]]] = [
    ("container", "GET", rf"/v1/projects/{P}/locations/(?P<location>[^/]+)/clusters", list_clusters),
    ("container", "GET", rf"/v1/projects/{P}/locations/(?P<location>[^/]+)/clusters/(?P<cluster>[^/]+)", get_cluster),
    ("compute", "GET", rf"/compute/v1/projects/{P}/global/networks", _compute_list("networks", "network")),
    ("compute", "GET", rf"/compute/v1/projects/{P}/global/firewalls", _compute_list("firewalls", "firewall")),
    (
        "compute",
        "GET",
        rf"/compute/v1/projects/{P}/aggregated/subnetworks",
        _compute_aggregated("subnetworks", "subnetwork", "regions"),
    ),
    (
        "compute",
        "GET",
        rf"/compute/v1/projects/{P}/aggregated/instances",
        _compute_aggregated("instances", "instance", "zones"),
    ),
    ("compute", "GET", rf"/compute/v1/projects/{P}", compute_project),
    ("storage", "GET", r"/storage/v1/b", list_buckets),
    ("storage", "GET", r"/storage/v1/b/(?P<bucket>[^/]+)/iam", bucket_iam),
    ("cloudresourcemanager", "GET", rf"/v3/projects/{P}", get_project),
    ("cloudresourcemanager", "POST", rf"/v3/projects/{P}:getIamPolicy", project_iam),
    ("cloudresourcemanager", "GET", r"/v3/projects", list_projects),
    ("cloudresourcemanager", "GET", r"/v3/folders", list_folders),
    ("serviceusage", "GET", rf"/v1/projects/{P}/services", list_services),
    ("iam", "GET", rf"/v1/projects/{P}/serviceAccounts", list_service_accounts),
    ("iam", "GET", rf"/v1/projects/{P}/serviceAccounts/(?P<account>[^/]+)/keys", list_keys),
    ("cloudkms", "GET", rf"/v1/projects/{P}/locations", list_locations),
    ("cloudkms", "GET", rf"/v1/projects/{P}/locations/(?P<location>[^/]+)/keyRings", list_key_rings),
    (
        "cloudkms",
        "GET",
        rf"/v1/projects/{P}/locations/(?P<location>[^/]+)/keyRings/(?P<ring>[^/]+)/cryptoKeys",
        list_crypto_keys,
    ),
    (
        "cloudkms",
        "GET",
        rf"/v1/projects/{P}/locations/(?P<location>[^/]+)/keyRings/(?P<ring>[^/]+)/cryptoKeys/(?P<key>[^/:]+):getIamPolicy",
        key_iam,
    ),
    ("logging", "GET", rf"/v2/projects/{P}/sinks", _project_list("sinks")),
    ("logging", "GET", rf"/v2/projects/{P}/metrics", _project_list("metrics")),
    ("monitoring", "GET", rf"/v3/projects/{P}/alertPolicies", _project_list("alertPolicies")),
    ("containeranalysis", "GET", rf"/v1/projects/{P}/occurrences", list_occurrences),
    (
        "artifactregistry",
        "GET",
        rf"/v1/projects/{P}/locations/(?P<location>[^/]+)/repositories/(?P<repo>[^/]+)/dockerImages",
        list_docker_images,
    ),
    ("sqladmin", "GET", rf"/v1/projects/{P}/instances", list_sql_instances),
]
