"""Private Service Connect endpoints for Google APIs: the global forwarding rules whose target is a Google API
bundle (``all-apis``, ``vpc-sc``).

One ``gcp.compute.google_api_endpoints`` record per project lists them (with their network), or says under
``_errors`` that the global forwarding rules could not be read, so that a network is never judged on an
unread list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.gcp.clients import as_json, compute, compute_v1
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

GOOGLE_API_BUNDLES = ("all-apis", "vpc-sc")
KEPT = ("name", "network", "target", "IPAddress", "pscConnectionStatus", "selfLink")


def _endpoints(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    config: dict[str, Any] = {"projectId": project, "endpoints": []}
    failure: BaseException | None = None
    try:
        for message in compute(session, compute_v1.GlobalForwardingRulesClient).list(project=project):
            rule = as_json(message)
            if str(rule.get("target", "")) in GOOGLE_API_BUNDLES:
                config["endpoints"].append({k: rule[k] for k in KEPT if k in rule})
    except Exception as exc:
        config[ERRORS_KEY] = {"endpoints": error_text(exc)}
        failure = exc
    uid = full_name("compute", f"projects/{project}/global/forwardingRules")
    yield record("compute", "google_api_endpoints", uid, project, project, config)
    if failure is not None:
        raise failure


@REGISTRY.collector(
    "gcp", "compute_private_service_connect", regional=False, permissions=("compute.globalForwardingRules.list",)
)
def collect_google_api_endpoints(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _endpoints)
