"""App Engine (Admin API v1, plain REST): the project's application and every version of every service.

A project without an App Engine application answers NOT_FOUND and has nothing to read; so has a project whose
App Engine Admin API is not enabled. Versions are read with ``view=FULL`` for their URL handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

import google.api_core.exceptions as gexc

from collectors.gcp import redact
from collectors.gcp.api_state import api_disabled
from collectors.gcp.common import full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

log = logging.getLogger(__name__)


def _versions(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    try:
        app = session.get_json("appengine", f"v1/apps/{project}")
    except gexc.NotFound:
        return  # no App Engine application in the project
    except Exception as exc:
        if api_disabled(exc):
            log.info("gcp: the App Engine Admin API is not enabled in %s: no application", project)
            return
        raise
    region = str(app.get("locationId") or "")
    for service in session.pages("appengine", f"v1/apps/{project}/services", "services"):
        service_id = str(service.get("id", ""))
        path = f"v1/apps/{project}/services/{quote(service_id, safe='')}/versions"
        for version in session.pages("appengine", path, "versions", {"view": "FULL"}):
            config = redact.secret_fields(dict(version))
            for key in ("envVariables", "buildEnvVariables"):  # configuration, but values may be secrets
                if isinstance(config.get(key), dict):
                    config[key] = {k: redact.REDACTED for k in config[key]}
            name = f"{service_id}/{config.get('id', '')}"
            uid = full_name("appengine", f"apps/{project}/services/{service_id}/versions/{config.get('id', '')}")
            yield record("appengine", "version", uid, name, project, config, region)


@REGISTRY.collector(
    "gcp",
    "appengine",
    regional=False,
    permissions=("appengine.applications.get", "appengine.services.list", "appengine.versions.list"),
)
def collect_app_engine(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _versions)
