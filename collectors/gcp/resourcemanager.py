"""Resource Manager: the project, its IAM policy (with audit config), and its enabled services."""

from __future__ import annotations

from collections.abc import Iterator

from google.iam.v1 import iam_policy_pb2, options_pb2

from collectors.gcp.clients import as_json, projects_client
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, policy_json, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _project(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    client = projects_client(session)
    config = as_json(client.get_project(name=f"projects/{project}"))
    errors: dict[str, str] = {}
    try:
        request = iam_policy_pb2.GetIamPolicyRequest(
            resource=f"projects/{project}", options=options_pb2.GetPolicyOptions(requested_policy_version=3)
        )
        config["iamPolicy"] = policy_json(client.get_iam_policy(request=request))
    except Exception as exc:
        errors["iamPolicy"] = error_text(exc)
    try:
        services = session.pages(
            "serviceusage", f"v1/projects/{project}/services", "services", {"filter": "state:ENABLED"}
        )
        config["enabledServices"] = sorted(
            str(s.get("config", {}).get("name") or s.get("name", "").rsplit("/", 1)[-1]) for s in services
        )
    except Exception as exc:
        errors["enabledServices"] = error_text(exc)
    if errors:
        config[ERRORS_KEY] = errors
    uid = full_name("cloudresourcemanager", f"projects/{project}")
    yield record(
        "resourcemanager",
        "project",
        uid,
        config.get("displayName") or project,
        project,
        config,
        labels=config.get("labels"),
    )


@REGISTRY.collector(
    "gcp",
    "resourcemanager",
    regional=False,
    permissions=("resourcemanager.projects.get", "resourcemanager.projects.getIamPolicy", "serviceusage.services.list"),
)
def collect_project(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _project)
