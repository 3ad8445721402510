"""Cloud Asset Inventory for the Google Cloud emulator, answered from the same project data the other APIs serve.

``GET /v1/projects/{project}/assets?assetTypes=...&contentType=RESOURCE&pageSize=...&pageToken=...`` answers
``{"readTime", "assets": [{"name", "assetType", "resource": {"version", "discoveryDocumentUri",
"discoveryName", "parent", "data", "location"}, "ancestors", "updateTime"}], "nextPageToken"}``, where
``data`` is the resource as its own API answers it. Asset types the emulator does not derive are simply
absent, as types with no resource are.
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


def assets(estate: dict[str, Any], project: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every asset of ``project``, derived from what its APIs serve."""
    number = project["projectNumber"]
    ancestors = [f"projects/{number}"]
    parent = project.get("parent", "")
    folders = {f.get("name"): f for f in estate.get("folders", [])}
    while parent and parent not in ancestors:
        ancestors.append(parent)
        parent = (folders.get(parent) or {}).get("parent", "")
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
    content = req.query.get("contentType", "")
    if content not in ("", "RESOURCE"):
        raise ApiError(400, f"The emulator serves contentType RESOURCE only, not {content}")
    wanted = set(req.lists.get("assetTypes", []))
    found = [a for a in assets(req.estate, req.project()) if not wanted or a["assetType"] in wanted]
    if content == "":
        for asset in found:
            asset.pop("resource")
    return req.page(found, "assets", {"readTime": READ_TIME})


ROUTE = ("cloudasset", "GET", rf"/v1/projects/{P}/assets", list_assets)
