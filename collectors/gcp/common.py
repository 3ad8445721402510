"""Shared pieces of the Google Cloud collectors: records, per-project fan-out, secondary-call errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.protobuf.json_format import MessageToDict

from collectors.failures import log_failure
from collectors.gcp.provider import PROJECT_KEY, GcpProvider, ScopeFailures
from collectors.gcp.session import GcpSession
from collectors.permissions import explain
from collectors.records import GLOBAL_REGION, ResourceRecord

log = logging.getLogger(__name__)
PROJECTS_AT_ONCE = 4  # per collector; the collectors themselves run in parallel too
ERRORS_KEY = "_errors"  # secondary calls that failed for this resource, {what: "Error: text"}


def full_name(service: str, path: str) -> str:
    """The API's full resource name: ``//compute.googleapis.com/projects/p/global/networks/n``."""
    return f"//{service}.googleapis.com/{path.lstrip('/')}"


def record(
    service: str,
    kind: str,
    uid: str,
    name: str,
    project: str,
    config: dict[str, Any],
    region: str = GLOBAL_REGION,
    labels: dict[str, Any] | None = None,
) -> ResourceRecord:
    config = dict(config)
    config[PROJECT_KEY] = project
    return ResourceRecord(
        provider="gcp",
        service=service,
        type=f"gcp.{service}.{kind}",
        uid=uid,
        name=name,
        region=region or GLOBAL_REGION,
        tags={str(k): str(v) for k, v in (labels or {}).items()},
        config=config,
    )


def per_project(
    session: GcpSession, collect: Callable[[GcpSession, str], Iterable[ResourceRecord]]
) -> Iterator[ResourceRecord]:
    """Run ``collect`` for each project, a few projects at a time; one failing project does not stop the others.

    The failures are raised together at the end, so the unit is marked failed
    while every record of the healthy projects is kept.
    """
    projects = session.projects
    failures: dict[str, BaseException] = {}
    if len(projects) == 1:
        yield from collect(session, projects[0])
        return

    def one(project: str) -> tuple[list[ResourceRecord], BaseException | None]:
        records: list[ResourceRecord] = []
        try:
            records.extend(collect(session, project))  # keeps what came before a failure
        except Exception as exc:
            return records, exc
        return records, None

    with ThreadPoolExecutor(max_workers=PROJECTS_AT_ONCE, thread_name_prefix="gcp-project") as pool:
        futures = {project: pool.submit(one, project) for project in projects}
        for project, future in futures.items():
            records, error = future.result()
            yield from records
            if error is not None:
                failures[project] = error
    if failures:
        raise ScopeFailures(failures)


def error_text(exc: BaseException) -> str:
    """A failed secondary call in words (never the exception's text, which may quote a credential)."""
    kind = GcpProvider().classify_error(exc)
    text = explain("gcp", exc, kind)
    log_failure(log, logging.DEBUG, f"gcp: a secondary call failed: {text}", exc)
    return text


def policy_json(policy: Any) -> dict[str, Any]:
    """An ``google.iam.v1.Policy`` protobuf as the REST JSON (bindings, auditConfigs, etag, version)."""
    return MessageToDict(policy, preserving_proto_field_name=False)


def location_of(url_or_scope: str) -> str:
    """``zones/us-central1-a`` or a self link -> ``us-central1-a``; ``regions/x`` -> ``x``."""
    parts = url_or_scope.rstrip("/").split("/")
    for marker in ("zones", "regions", "locations"):
        if marker in parts:
            index = parts.index(marker)
            if index + 1 < len(parts):
                return parts[index + 1]
    return GLOBAL_REGION


def region_of_zone(zone: str) -> str:
    """``us-central1-a`` -> ``us-central1``; a region stays as it is."""
    head, _, tail = zone.rpartition("-")
    return head if head and len(tail) == 1 else zone
