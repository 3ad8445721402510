"""Dataproc clusters (plain REST), region by region: the scan's regions, or every Compute Engine region.

Dataproc has no list across regions; the regions come from the account's region filter or, without one, from
Compute Engine's region list. A project whose Dataproc API is not enabled has no clusters to read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

from collectors.gcp.api_state import api_disabled
from collectors.gcp.clients import compute, compute_v1
from collectors.gcp.common import full_name, per_project, record
from collectors.gcp.provider import REGION
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

log = logging.getLogger(__name__)


def regions_of(session: GcpSession, project: str) -> list[str]:
    """The regions to look in: the scan's own (but ``global``), else every region Compute Engine lists."""
    wanted = [r for r in session.regions if r != "global"]
    if wanted:
        return wanted
    found = [str(r.name) for r in compute(session, compute_v1.RegionsClient).list(project=project)]
    return [r for r in found if REGION.match(r) and r != "global"]


def _clusters(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    try:
        regions = regions_of(session, project)
    except Exception as exc:
        if api_disabled(exc):  # Dataproc runs on Compute Engine: without it, no cluster
            log.info("gcp: the Compute Engine API is not enabled in %s: no Dataproc clusters", project)
            return
        raise
    for region in regions:
        path = f"v1/projects/{project}/regions/{quote(region, safe='')}/clusters"
        try:
            clusters = list(session.pages("dataproc", path, "clusters"))
        except Exception as exc:
            if api_disabled(exc):
                log.info("gcp: the Dataproc API is not enabled in %s: no clusters", project)
                return
            raise
        for cluster in clusters:
            name = str(cluster.get("clusterName", ""))
            uid = full_name("dataproc", f"projects/{project}/regions/{region}/clusters/{name}")
            yield record("dataproc", "cluster", uid, name, project, cluster, region, cluster.get("labels"))


@REGISTRY.collector("gcp", "dataproc", regional=False, permissions=("dataproc.clusters.list", "compute.regions.list"))
def collect_dataproc(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _clusters)
