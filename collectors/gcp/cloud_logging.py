"""Cloud Logging sinks and log-based metrics, and Cloud Monitoring alert policies (plain REST).

Besides one record per sink, metric and policy, each project gets a
``gcp.logging.project`` record naming what was found and which of the three
lists could not be read, so that the CIS 2.x rules never mistake an
unreadable list for an empty one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

LISTS = (
    ("sinks", "logging", "v2/projects/{project}/sinks", "sinks", "sink"),
    ("metrics", "logging", "v2/projects/{project}/metrics", "metrics", "metric"),
    ("alertPolicies", "monitoring", "v3/projects/{project}/alertPolicies", "alertPolicies", "alert_policy"),
)


def _uid(service: str, project: str, kind: str, item: dict[str, Any]) -> str:
    name = str(item.get("name", ""))
    if name.startswith("projects/"):
        return full_name(service, name)
    collection = {"sink": "sinks", "metric": "metrics"}.get(kind, kind)
    return full_name(service, f"projects/{project}/{collection}/{name}")


def _project_logging(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    summary: dict[str, Any] = {"projectId": project}
    failures: list[BaseException] = []
    for key, service, path, items_key, kind in LISTS:
        names: list[str] = []
        try:
            for item in session.pages(service, path.format(project=project), items_key):
                record_service = "monitoring" if service == "monitoring" else "logging"
                uid = _uid(service, project, kind, item)
                names.append(str(item.get("name", "")))
                yield record(
                    record_service, kind, uid, str(item.get("displayName") or item.get("name", "")), project, item
                )
        except Exception as exc:
            summary.setdefault(ERRORS_KEY, {})[key] = error_text(exc)
            failures.append(exc)
        summary[key] = names
    yield record("logging", "project", full_name("logging", f"projects/{project}"), project, project, summary)
    if failures:
        raise failures[0]


@REGISTRY.collector(
    "gcp",
    "logging",
    regional=False,
    permissions=("logging.sinks.list", "logging.logMetrics.list", "monitoring.alertPolicies.list"),
)
def collect_logging(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _project_logging)
