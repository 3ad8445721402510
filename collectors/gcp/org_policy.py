"""Organization Policy (API v2, plain REST): the effective policy of a few guardrail constraints per project.

The effective policy is what applies to the project once the organization's and folders' policies are merged
with its own: one ``gcp.orgpolicy.project`` record per project holds them by constraint, with the constraints
that could not be read under ``_errors`` (or the API named as not enabled in the project).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.gcp.api_state import SERVICE_ENABLED_KEY, api_disabled, not_enabled
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

API = "orgpolicy.googleapis.com"
# Guardrails an organization sets once for every project (boolean constraints, and one list constraint).
CONSTRAINTS = (
    "iam.disableServiceAccountKeyCreation",
    "iam.allowedPolicyMemberDomains",
    "storage.uniformBucketLevelAccess",
    "storage.publicAccessPrevention",
    "compute.skipDefaultNetworkCreation",
    "compute.requireOsLogin",
)


def _policies(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    config: dict[str, Any] = {"projectId": project, SERVICE_ENABLED_KEY: True, "effectivePolicies": {}}
    errors: dict[str, str] = {}
    failure: BaseException | None = None
    for constraint in CONSTRAINTS:
        try:
            path = f"v2/projects/{project}/policies/{constraint}:getEffectivePolicy"
            config["effectivePolicies"][constraint] = session.get_json("orgpolicy", path)
        except Exception as exc:
            if api_disabled(exc):
                config[SERVICE_ENABLED_KEY] = False
                errors = {c: not_enabled(API) for c in CONSTRAINTS}
                failure = None
                break
            errors[constraint] = error_text(exc)
            failure = failure or exc
    if errors:
        config[ERRORS_KEY] = errors
    yield record("orgpolicy", "project", full_name("orgpolicy", f"projects/{project}"), project, project, config)
    if failure is not None:
        raise failure


@REGISTRY.collector("gcp", "orgpolicy", regional=False, permissions=("orgpolicy.policy.get",))
def collect_org_policies(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _policies)
