"""Cloud Asset Inventory as bulk inventory: the networks, firewalls, instances, clusters, keys and service
accounts of every project of an account's folder or organization (or of one project) in one paged call.

``GET cloudasset.googleapis.com/v1/{folders/N|organizations/N|projects/P}/assets?assetTypes=...&contentType=RESOURCE``
answers ``{assets: [{name, assetType, resource: {version, discoveryDocumentUri, discoveryName, parent, data,
location}, ancestors, updateTime}], nextPageToken, readTime}``; ``resource.data`` is the resource as its own
API describes it and ``ancestors`` starts with ``projects/NUMBER``, which the folder's Project assets turn
into project ids. It is read once per scan (per project for an account of listed projects), on the first
collector's ask; :func:`listed` answers from it and falls back to the collector's own listing when it is
unavailable, or knows nothing of a project (see :mod:`collectors.bulk`).

Not served from it: buckets (the storage collector reads their ACLs through the JSON API's full projection,
which Cloud Asset Inventory does not promise to carry), the per-resource IAM policies and keys, the project's
own settings, logging and monitoring lists.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from collectors.bulk import BulkInventory, inventory_for
from collectors.failures import log_failure

if TYPE_CHECKING:
    from collectors.gcp.session import GcpSession

log = logging.getLogger(__name__)
PAGE_SIZE = 1000  # the API's maximum
NETWORK = "compute.googleapis.com/Network"
SUBNETWORK = "compute.googleapis.com/Subnetwork"
FIREWALL = "compute.googleapis.com/Firewall"
INSTANCE = "compute.googleapis.com/Instance"
CLUSTER = "container.googleapis.com/Cluster"
CRYPTO_KEY = "cloudkms.googleapis.com/CryptoKey"
SERVICE_ACCOUNT = "iam.googleapis.com/ServiceAccount"
ASSET_TYPES = (NETWORK, SUBNETWORK, FIREWALL, INSTANCE, CLUSTER, CRYPTO_KEY, SERVICE_ACCOUNT)
PROJECT = "cloudresourcemanager.googleapis.com/Project"  # asked for in a folder's query: project number -> id
CONTAINERS = ("folders/", "organizations/")


def _query(session: GcpSession) -> Callable[[str], Iterator[tuple[str, str, dict[str, Any]]]]:
    """A project's assets (group: the project), or a folder's or organization's: each under the project id its
    ``ancestors`` name (through the Project assets' numbers), the Project asset making the project's group."""

    def query(scope: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        container = scope.startswith(CONTAINERS)
        types = [*ASSET_TYPES, PROJECT] if container else list(ASSET_TYPES)
        params = {"assetTypes": types, "contentType": "RESOURCE", "pageSize": PAGE_SIZE}
        parent = scope if container else f"projects/{scope}"
        found: list[tuple[str, str, dict[str, Any]]] = []
        for asset in session.pages("cloudasset", f"v1/{parent}/assets", "assets", params):
            resource, ancestors = asset.get("resource"), asset.get("ancestors")
            data = resource.get("data") if isinstance(resource, dict) else None
            first = ancestors[0] if isinstance(ancestors, list) and ancestors else ""
            if isinstance(data, dict) and isinstance(asset.get("assetType"), str) and isinstance(first, str):
                found.append((first, asset["assetType"], data))
        if not container:
            yield from ((scope, kind, data) for _, kind, data in found)
            return
        projects = {
            f"projects/{data.get('projectNumber')}": str(data.get("projectId"))
            for _, kind, data in found
            if kind == PROJECT and data.get("projectId")
        }
        for ancestor, kind, data in found:
            if ancestor in projects:
                yield projects[ancestor], kind, data

    return query


def scope_of(session: GcpSession, project: str) -> str:
    """What one query covers: the account's folder or organization, else the project alone."""
    return session.scope or project


def cloud_asset_inventory(session: GcpSession, classify: Callable[[BaseException], str]) -> BulkInventory | None:
    """The session's Cloud Asset Inventory: one query for the account's folder or organization, else one per
    project (None when POSTURE_BULK_INVENTORY=off)."""
    return inventory_for(
        "gcp",
        _query(session),
        ASSET_TYPES,
        classify,
        scopes=lambda: [session.scope] if session.scope else session.projects,
        groups=lambda scope: () if scope.startswith(CONTAINERS) else (scope,),
    )


def listed(
    session: GcpSession,
    project: str,
    asset_type: str,
    message: Any,
    fallback: Callable[[], Iterable[dict[str, Any]]],
) -> Iterable[dict[str, Any]]:
    """Every ``asset_type`` resource of ``project`` as the collector's own listing gives it: from Cloud Asset
    Inventory (read through ``message``, the client library's type, as the listing's answer is; None for raw
    JSON), else ``fallback()``."""
    bulk = session.bulk
    found = bulk.items(scope_of(session, project), project, asset_type) if bulk else None
    if found is None:
        return fallback()  # read as it comes: a listing failing half-way keeps what it read
    if message is None:
        return found
    from collectors.gcp.clients import as_json

    try:
        return [as_json(message.from_json(json.dumps(data), ignore_unknown_fields=True)) for data in found]
    except Exception as exc:  # an asset the client library cannot read: the service's own listing instead
        log_failure(
            log, logging.WARNING, f"gcp: {asset_type} assets of {project} could not be read; listed instead", exc
        )
        return fallback()
