"""Access Approval (plain REST): the project's settings, in one ``gcp.accessapproval.project`` record.

A project never enrolled answers NOT_FOUND (no settings: nothing enrolled); a project whose Access Approval API
is not enabled is recorded as such (``serviceEnabled`` false), and neither stops the scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import google.api_core.exceptions as gexc

from collectors.gcp.api_state import SERVICE_ENABLED_KEY, api_disabled, not_enabled
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

API = "accessapproval.googleapis.com"


def _settings(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    name = f"projects/{project}/accessApprovalSettings"
    config: dict[str, Any] = {"projectId": project, SERVICE_ENABLED_KEY: True}
    failure: BaseException | None = None
    try:
        config["settings"] = session.get_json("accessapproval", f"v1/{name}")
    except gexc.NotFound:
        config["settings"] = {"name": name}  # never configured: no service enrolled
    except Exception as exc:
        disabled = api_disabled(exc)
        config[SERVICE_ENABLED_KEY] = not disabled
        config[ERRORS_KEY] = {"settings": not_enabled(API) if disabled else error_text(exc)}
        failure = None if disabled else exc
    yield record("accessapproval", "project", full_name("accessapproval", name), project, project, config)
    if failure is not None:
        raise failure


@REGISTRY.collector("gcp", "accessapproval", regional=False, permissions=("accessapproval.settings.get",))
def collect_access_approval(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _settings)
