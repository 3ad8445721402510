"""Cloud Asset Inventory as bulk inventory: a project's networks, firewalls, instances, clusters, keys and
service accounts in one paged call.

``GET cloudasset.googleapis.com/v1/projects/{project}/assets?assetTypes=...&contentType=RESOURCE`` answers
``{assets: [{name, assetType, resource: {version, discoveryDocumentUri, discoveryName, parent, data,
location}, ancestors, updateTime}], nextPageToken, readTime}``; ``resource.data`` is the resource as its own
API describes it. It is read once per project, on the first collector's ask; :func:`listed` answers from
it and falls back to the collector's own listing when it is unavailable (see :mod:`collectors.bulk`).

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


def _query(session: GcpSession) -> Callable[[str], Iterator[tuple[str, dict[str, Any]]]]:
    def query(project: str) -> Iterator[tuple[str, dict[str, Any]]]:
        params = {"assetTypes": list(ASSET_TYPES), "contentType": "RESOURCE", "pageSize": PAGE_SIZE}
        for asset in session.pages("cloudasset", f"v1/projects/{project}/assets", "assets", params):
            resource = asset.get("resource")
            data = resource.get("data") if isinstance(resource, dict) else None
            if isinstance(data, dict) and isinstance(asset.get("assetType"), str):
                yield asset["assetType"], data

    return query


def cloud_asset_inventory(session: GcpSession, classify: Callable[[BaseException], str]) -> BulkInventory | None:
    """The session's Cloud Asset Inventory, one query per project (None when POSTURE_BULK_INVENTORY=off)."""
    return inventory_for("gcp", _query(session), ASSET_TYPES, classify, lambda: session.projects)


def listed(
    session: GcpSession,
    project: str,
    asset_type: str,
    message: Any,
    fallback: Callable[[], Iterable[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Every ``asset_type`` resource of ``project`` as the collector's own listing gives it: from Cloud Asset
    Inventory (read through ``message``, the client library's type, as the listing's answer is; None for raw
    JSON), else ``fallback()``."""
    bulk = session.bulk
    found = bulk.items(project, asset_type) if bulk else None
    if found is None:
        return list(fallback())
    if message is None:
        return found
    from collectors.gcp.clients import as_json

    try:
        return [as_json(message.from_json(json.dumps(data), ignore_unknown_fields=True)) for data in found]
    except Exception as exc:  # an asset the client library cannot read: the service's own listing instead
        log_failure(
            log, logging.WARNING, f"gcp: {asset_type} assets of {project} could not be read; listed instead", exc
        )
        return list(fallback())
