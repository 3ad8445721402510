"""Compute Engine load balancing: backend services, SSL policies, and the HTTPS and SSL proxies that use them.

Backend services, SSL policies and target HTTPS proxies are read with aggregated lists (global and every
region at once); target SSL proxies are global only. A proxy names its SSL policy by URL; none means Google's
default policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.gcp.clients import as_json, compute, compute_v1
from collectors.gcp.common import full_name, location_of, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import GLOBAL_REGION, ResourceRecord
from collectors.registry import REGISTRY

AGGREGATED = (
    (
        compute_v1.BackendServicesClient,
        compute_v1.AggregatedListBackendServicesRequest,
        "backend_services",
        "backendServices",
        "backend_service",
    ),
    (
        compute_v1.SslPoliciesClient,
        compute_v1.AggregatedListSslPoliciesRequest,
        "ssl_policies",
        "sslPolicies",
        "ssl_policy",
    ),
    (
        compute_v1.TargetHttpsProxiesClient,
        compute_v1.AggregatedListTargetHttpsProxiesRequest,
        "target_https_proxies",
        "targetHttpsProxies",
        "target_https_proxy",
    ),
)


def _record(project: str, region: str, collection: str, kind: str, item: dict[str, Any]) -> ResourceRecord:
    name = str(item.get("name", ""))
    scope = "global" if region == GLOBAL_REGION else f"regions/{region}"
    uid = full_name("compute", f"projects/{project}/{scope}/{collection}/{name}")
    return record("compute", kind, uid, name, project, item, region)


def _load_balancing(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    for client, request, field, collection, kind in AGGREGATED:
        pages = compute(session, client).aggregated_list(request=request(project=project))
        for scope, scoped in pages:
            region = location_of(scope)
            if not session.in_scope(region):
                continue
            for message in getattr(scoped, field):
                yield _record(project, region, collection, kind, as_json(message))
    for message in compute(session, compute_v1.TargetSslProxiesClient).list(project=project):
        yield _record(project, GLOBAL_REGION, "targetSslProxies", "target_ssl_proxy", as_json(message))


@REGISTRY.collector(
    "gcp",
    "compute_load_balancing",
    regional=False,
    permissions=(
        "compute.backendServices.list",
        "compute.sslPolicies.list",
        "compute.targetHttpsProxies.list",
        "compute.targetSslProxies.list",
    ),
)
def collect_load_balancing(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _load_balancing)
