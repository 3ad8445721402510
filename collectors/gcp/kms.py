"""Cloud KMS: crypto keys in every location's key rings, with each key's IAM policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.cloud.location import locations_pb2

from collectors.gcp.clients import as_json, kms, kms_v1
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, location_of, per_project, policy_json, record
from collectors.gcp.inventory import CRYPTO_KEY, listed
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _locations(session: GcpSession, project: str) -> list[str]:
    """Location ids; ``list_locations`` returns one response, so its pages are followed here."""
    found: list[str] = []
    token = ""
    seen: set[str] = set()
    while True:
        request = locations_pb2.ListLocationsRequest(name=f"projects/{project}", page_token=token)
        response = kms(session).list_locations(request=request)
        found.extend(location.location_id for location in response.locations)
        token = response.next_page_token
        if not token or token in seen:
            return found
        seen.add(token)


def _listed_keys(session: GcpSession, project: str) -> Iterator[dict[str, Any]]:
    client = kms(session)
    for location in _locations(session, project):
        if not session.in_scope(location):
            continue
        for ring in client.list_key_rings(parent=f"projects/{project}/locations/{location}"):
            yield from (as_json(key) for key in client.list_crypto_keys(parent=ring.name))


def _keys(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    client = kms(session)
    for config in listed(session, project, CRYPTO_KEY, kms_v1.CryptoKey, lambda: _listed_keys(session, project)):
        name = str(config.get("name") or "")
        location = location_of(name)
        if not name or not session.in_scope(location):
            continue
        try:
            config["iamPolicy"] = policy_json(client.get_iam_policy(request={"resource": name}))
        except Exception as exc:
            config.setdefault(ERRORS_KEY, {})["iamPolicy"] = error_text(exc)
        yield record(
            "kms",
            "crypto_key",
            full_name("cloudkms", name),
            name.rsplit("/", 1)[-1],
            project,
            config,
            location,
            config.get("labels"),
        )


@REGISTRY.collector(
    "gcp",
    "kms",
    regional=False,
    permissions=(
        "cloudkms.locations.list",
        "cloudkms.keyRings.list",
        "cloudkms.cryptoKeys.list",
        "cloudkms.cryptoKeys.getIamPolicy",
    ),
)
def collect_crypto_keys(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _keys)
