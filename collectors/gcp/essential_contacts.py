"""Essential Contacts (plain REST): who Google notifies about a project, its folders' and organization's included.

``contacts:compute`` with the category ``ALL`` lists every contact the project has, inherited ones too, each with
the notification categories it subscribes to; one ``gcp.essentialcontacts.project`` record per project holds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.gcp.api_state import SERVICE_ENABLED_KEY, api_disabled, not_enabled
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

API = "essentialcontacts.googleapis.com"
CONTACT_FIELDS = ("name", "email", "notificationCategorySubscriptions", "validationState", "validateTime")


def _contacts(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    summary: dict[str, Any] = {"projectId": project, SERVICE_ENABLED_KEY: True}
    path = f"v1/projects/{project}/contacts:compute"
    failure: BaseException | None = None
    try:
        contacts = session.pages("essentialcontacts", path, "contacts", {"notificationCategories": "ALL"})
        summary["contacts"] = [{k: c[k] for k in CONTACT_FIELDS if k in c} for c in contacts]
    except Exception as exc:
        disabled = api_disabled(exc)
        summary[SERVICE_ENABLED_KEY] = not disabled
        summary[ERRORS_KEY] = {"contacts": not_enabled(API) if disabled else error_text(exc)}
        failure = None if disabled else exc
    yield record(
        "essentialcontacts", "project", full_name("essentialcontacts", f"projects/{project}"), project, project, summary
    )
    if failure is not None:
        raise failure


@REGISTRY.collector("gcp", "essentialcontacts", regional=False, permissions=("essentialcontacts.contacts.list",))
def collect_essential_contacts(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _contacts)
