"""Cloud DNS (plain REST): managed zones (with their DNSSEC settings) and DNS server policies.

Besides one record per zone and per policy, each project gets a ``gcp.dns.project`` record naming the policies
and zones found, which list could not be read, and whether the Cloud DNS API is enabled at all: without it no
policy logs a network's queries, which is an answer, not a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.gcp.api_state import SERVICE_ENABLED_KEY, api_disabled, not_enabled
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

API = "dns.googleapis.com"
LISTS = (("managedZones", "managed_zone"), ("policies", "policy"))


def _dns(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    summary: dict[str, Any] = {"projectId": project, SERVICE_ENABLED_KEY: True}
    failure: BaseException | None = None
    for key, kind in LISTS:
        try:
            items = list(session.pages("dns", f"dns/v1/projects/{project}/{key}", key))
        except Exception as exc:
            if api_disabled(exc):
                # no zone and no policy can exist without the API: an answer, said as such
                summary.update(
                    {SERVICE_ENABLED_KEY: False, "note": not_enabled(API), "managedZones": [], "policies": []}
                )
                summary.pop(ERRORS_KEY, None)
                failure = None
                break
            summary.setdefault(ERRORS_KEY, {})[key] = error_text(exc)
            failure = failure or exc
            continue
        summary[key] = [str(item.get("name", "")) for item in items]
        for item in items:
            name = str(item.get("name", ""))
            uid = full_name("dns", f"projects/{project}/{key}/{name}")
            yield record("dns", kind, uid, name, project, item, labels=item.get("labels"))
    yield record("dns", "project", full_name("dns", f"projects/{project}"), project, project, summary)
    if failure is not None:
        raise failure


@REGISTRY.collector("gcp", "dns", regional=False, permissions=("dns.managedZones.list", "dns.policies.list"))
def collect_dns(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _dns)
