"""VPC Service Controls (Access Context Manager v1, plain REST): the service perimeters each project is in.

Access policies belong to the organization: the project's organization is found through Resource Manager
(its parent, then each folder's), the organization's access policies and their perimeters are listed once per
scan, and one ``gcp.accesscontextmanager.project`` record per project names the perimeters that hold it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from collectors.gcp.api_state import SERVICE_ENABLED_KEY, api_disabled, not_enabled
from collectors.gcp.clients import folders_client, projects_client
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

API = "accesscontextmanager.googleapis.com"
MAX_FOLDER_DEPTH = 10  # Resource Manager allows folders ten levels deep


POLICY_NAME = re.compile(r"^accessPolicies/[A-Za-z0-9_-]+$")


def organization_of(session: GcpSession, project: str) -> tuple[str, str]:
    """(``projects/NUMBER``, ``organizations/ID`` or "" for a project outside any organization)."""
    found = projects_client(session).get_project(name=f"projects/{project}")
    parent = found.parent
    for _ in range(MAX_FOLDER_DEPTH + 1):
        if not parent.startswith("folders/"):
            break
        parent = folders_client(session).get_folder(name=parent).parent
    return found.name, parent if parent.startswith("organizations/") else ""


def perimeters_of(session: GcpSession, organization: str) -> list[dict[str, Any]]:
    """Every service perimeter of the organization's access policies (listed once per session)."""

    def load() -> list[dict[str, Any]]:
        found = []
        for policy in session.pages(
            "accesscontextmanager", "v1/accessPolicies", "accessPolicies", {"parent": organization}
        ):
            name = str(policy.get("name", ""))
            if not POLICY_NAME.match(name):  # a name from the answer goes into the next path: only its own form
                raise ValueError(f"unexpected access policy name {name[:80]!r}")
            found += list(session.pages("accesscontextmanager", f"v1/{name}/servicePerimeters", "servicePerimeters"))
        return found

    return session.client(f"accesscontextmanager.{organization}", load)


def _summary(perimeter: dict[str, Any]) -> dict[str, Any]:
    raw = perimeter.get("status")
    status: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {
        "name": perimeter.get("name"),
        "title": perimeter.get("title"),
        "perimeterType": perimeter.get("perimeterType") or "PERIMETER_TYPE_REGULAR",
        "restrictedServices": list(status.get("restrictedServices") or []),
    }


def _project(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    config: dict[str, Any] = {"projectId": project, SERVICE_ENABLED_KEY: True}
    failure: BaseException | None = None
    try:
        number, organization = organization_of(session, project)
        config.update(projectNumber=number, organization=organization, perimeters=[])
        if organization:
            for perimeter in perimeters_of(session, organization):
                resources = (perimeter.get("status") or {}).get("resources") or []
                if number in resources:
                    config["perimeters"].append(_summary(perimeter))
    except Exception as exc:
        disabled = api_disabled(exc)
        config[SERVICE_ENABLED_KEY] = not disabled
        config[ERRORS_KEY] = {"perimeters": not_enabled(API) if disabled else error_text(exc)}
        failure = None if disabled else exc
    uid = full_name("accesscontextmanager", f"projects/{project}")
    yield record("accesscontextmanager", "project", uid, project, project, config)
    if failure is not None:
        raise failure


@REGISTRY.collector(
    "gcp",
    "accesscontextmanager",
    regional=False,
    permissions=(
        "resourcemanager.projects.get",
        "resourcemanager.folders.get",
        "accesscontextmanager.policies.list",
        "accesscontextmanager.servicePerimeters.list",
    ),
)
def collect_service_perimeters(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _project)
