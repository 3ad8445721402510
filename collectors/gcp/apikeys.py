"""API keys (API Keys API v2, plain REST): one record per key, and a ``gcp.apikeys.project`` summary per project.

The list never carries a key's secret (``keyString`` comes only from ``getKeyString``, which Posture never calls);
should an answer hold one all the same, it is dropped. The summary names the keys found and says whether the
list could be read, or that the API Keys API is not enabled in the project.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.gcp.api_state import SERVICE_ENABLED_KEY, api_disabled, not_enabled
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

API = "apikeys.googleapis.com"
SECRET_FIELDS = ("keyString",)


def _clean(key: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in key.items() if k not in SECRET_FIELDS}


def _keys(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    summary: dict[str, Any] = {"projectId": project, SERVICE_ENABLED_KEY: True, "keys": []}
    uid = full_name("apikeys", f"projects/{project}")
    try:
        keys = [_clean(k) for k in session.pages("apikeys", f"v2/projects/{project}/locations/global/keys", "keys")]
    except Exception as exc:
        disabled = api_disabled(exc)
        summary[SERVICE_ENABLED_KEY] = not disabled
        summary[ERRORS_KEY] = {"keys": not_enabled(API) if disabled else error_text(exc)}
        yield record("apikeys", "project", uid, project, project, summary)
        if not disabled:
            raise
        return
    for key in keys:
        name = str(key.get("name", ""))
        summary["keys"].append(name)
        yield record(
            "apikeys",
            "key",
            full_name("apikeys", name),
            str(key.get("displayName") or name.rsplit("/", 1)[-1]),
            project,
            key,
        )
    yield record("apikeys", "project", uid, project, project, summary)


@REGISTRY.collector("gcp", "apikeys", regional=False, permissions=("apikeys.keys.list",))
def collect_api_keys(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _keys)
