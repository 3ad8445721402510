"""Cloud Asset Inventory for the Google Cloud emulator, answered from the same project data the other APIs serve.

``GET /v1/{projects/P|folders/N|organizations/N}/assets?assetTypes=...&contentType=RESOURCE&pageSize=...`` answers
``{"readTime", "assets": [{"name", "assetType", "resource": {"version", "discoveryDocumentUri",
"discoveryName", "parent", "data", "location"}, "ancestors", "updateTime"}], "nextPageToken"}``, where
``data`` is the resource as its own API answers it; a folder or organization answers for every project under
it, each project's own ``cloudresourcemanager.googleapis.com/Project`` asset included. Asset types the emulator
does not derive are simply absent, as types with no resource are.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from emulators.gcp.routes import ApiError, Request

READ_TIME = "2026-01-01T00:00:00.000000Z"
DISCOVERY = "https://www.googleapis.com/discovery/v1/apis/{api}/{version}/rest"


def _tail(link: str, marker: str) -> str:
    parts = str(link).split("/")
    return parts[parts.index(marker) + 1] if marker in parts[:-1] else "global"


def _kms_location(key: dict[str, Any]) -> str:
    return _tail(key.get("name", ""), "locations")


def _account(account: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in account.items() if not k.startswith("_")}


# estate key -> (asset type, api, discovery name, version, the asset name's path, the asset's location)
KINDS: list[tuple[str, str, str, str, str, Callable[[str, dict[str, Any]], str], Callable[[dict[str, Any]], str]]] = [
    (
        "networks",
        "compute.googleapis.com/Network",
        "compute",
        "Network",
        "v1",
        lambda p, r: f"projects/{p}/global/networks/{r['name']}",
        lambda r: "global",
    ),
    (
        "subnetworks",
        "compute.googleapis.com/Subnetwork",
        "compute",
        "Subnetwork",
        "v1",
        lambda p, r: f"projects/{p}/regions/{_tail(r.get('region', ''), 'regions')}/subnetworks/{r['name']}",
        lambda r: _tail(r.get("region", ""), "regions"),
    ),
    (
        "firewalls",
        "compute.googleapis.com/Firewall",
        "compute",
        "Firewall",
        "v1",
        lambda p, r: f"projects/{p}/global/firewalls/{r['name']}",
        lambda r: "global",
    ),
    (
        "instances",
        "compute.googleapis.com/Instance",
        "compute",
        "Instance",
        "v1",
        lambda p, r: f"projects/{p}/zones/{_tail(r.get('zone', ''), 'zones')}/instances/{r['name']}",
        lambda r: _tail(r.get("zone", ""), "zones"),
    ),
    (
        "clusters",
        "container.googleapis.com/Cluster",
        "container",
        "Cluster",
        "v1",
        lambda p, r: f"projects/{p}/locations/{r.get('location', '')}/clusters/{r['name']}",
        lambda r: str(r.get("location", "")),
    ),
    (
        "cryptoKeys",
        "cloudkms.googleapis.com/CryptoKey",
        "cloudkms",
        "CryptoKey",
        "v1",
        lambda p, r: str(r["name"]),
        _kms_location,
    ),
    (
        "serviceAccounts",
        "iam.googleapis.com/ServiceAccount",
        "iam",
        "ServiceAccount",
        "v1",
        lambda p, r: f"projects/{p}/serviceAccounts/{r.get('uniqueId', r.get('email', ''))}",
        lambda r: "global",
    ),
]


def ancestry(estate: dict[str, Any], project: dict[str, Any]) -> list[str]:
    """``["projects/NUMBER", "folders/...", ..., "organizations/..."]``."""
    ancestors = [f"projects/{project['projectNumber']}"]
    parent = project.get("parent", "")
    folders = {f.get("name"): f for f in estate.get("folders", [])}
    while parent and parent not in ancestors:
        ancestors.append(parent)
        parent = (folders.get(parent) or {}).get("parent", "")
    return ancestors


def _project_asset(project: dict[str, Any], ancestors: list[str]) -> dict[str, Any]:
    """The project as Resource Manager v1 describes it (``projectNumber``, ``projectId``, ``lifecycleState``)."""
    number, parent = project["projectNumber"], project.get("parent", "")
    kind, _, parent_id = parent.partition("/")
    data: dict[str, Any] = {
        "projectNumber": number,
        "projectId": project["projectId"],
        "lifecycleState": project.get("state", "ACTIVE"),
        "name": project.get("displayName", project["projectId"]),
        "createTime": project.get("createTime", "2020-01-01T00:00:00.000Z"),
        "labels": project.get("labels", {}),
    }
    if parent_id:
        data["parent"] = {"type": kind.rstrip("s"), "id": parent_id}
    return {
        "name": f"//cloudresourcemanager.googleapis.com/projects/{number}",
        "assetType": "cloudresourcemanager.googleapis.com/Project",
        "resource": {
            "version": "v1",
            "discoveryDocumentUri": DISCOVERY.format(api="cloudresourcemanager", version="v1"),
            "discoveryName": "Project",
            "parent": f"//cloudresourcemanager.googleapis.com/{parent}" if parent else "",
            "data": data,
            "location": "global",
        },
        "ancestors": ancestors,
        "updateTime": READ_TIME,
    }


def assets(estate: dict[str, Any], project: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every asset of ``project`` (the project's own included), derived from what its APIs serve."""
    number = project["projectNumber"]
    ancestors = ancestry(estate, project)
    yield _project_asset(project, ancestors)
    for key, asset_type, api, discovery_name, version, path, location in KINDS:
        for item in project.get(key, []):
            data = _account(item) if key == "serviceAccounts" else copy.deepcopy(item)
            yield {
                "name": f"//{api}.googleapis.com/{path(project['projectId'], item)}",
                "assetType": asset_type,
                "resource": {
                    "version": version,
                    "discoveryDocumentUri": DISCOVERY.format(api=api, version=version),
                    "discoveryName": discovery_name,
                    "parent": f"//cloudresourcemanager.googleapis.com/projects/{number}",
                    "data": data,
                    "location": location(item),
                },
                "ancestors": ancestors,
                "updateTime": READ_TIME,
            }


P = r"(?P<project>[^/:]+)"


def list_assets(req: Request) -> dict[str, Any]:
    """A project's assets, or (``container``: ``folders/N``, ``organizations/N``) those of every project under it."""
    content = req.query.get("contentType", "")
    if content not in ("", "RESOURCE"):
        raise ApiError(400, f"The emulator serves contentType RESOURCE only, not {content}")
    wanted = set(req.lists.get("assetTypes", []))
    container = req.params.get("container")
    if container:
        projects = [p for p in req.estate.get("projects", []) if container in ancestry(req.estate, p)[1:]]
        known = {f.get("name") for f in req.estate.get("folders", [])} | {
            (req.estate.get("organization") or {}).get("name")
        }
        if container not in known:
            raise ApiError(403, f"The caller does not have permission on {container}")
    else:
        projects = [req.project()]
    found = [a for p in projects for a in assets(req.estate, p) if not wanted or a["assetType"] in wanted]
    if content == "":
        for asset in found:
            asset.pop("resource")
    return req.page(found, "assets", {"readTime": READ_TIME})


ROUTES = [
    ("cloudasset", "GET", rf"/v1/projects/{P}/assets", list_assets),
    ("cloudasset", "GET", r"/v1/(?P<container>(folders|organizations)/[^/]+)/assets", list_assets),
]
