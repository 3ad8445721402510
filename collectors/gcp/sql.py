"""Cloud SQL: database instances (MySQL, PostgreSQL, SQL Server), as the Cloud SQL Admin API v1 lists them.

Plain REST (no Cloud SQL Admin client library is installed): ``GET v1/projects/{project}/instances``
returns each instance's settings, database flags, IP configuration and addresses in one call.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectors.gcp.common import full_name, per_project, record
from collectors.gcp.redact import REDACTED, secret_fields
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _instances(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    for instance in session.pages("sqladmin", f"v1/projects/{project}/instances", "items"):
        name = instance.get("name")
        if not isinstance(name, str) or not name:
            continue  # nothing to name the record by
        region = str(instance.get("region") or "")
        if not session.in_scope(region):
            continue
        # replica credentials (password, clientKey) redacted; rootPassword is write-only, but never kept
        config = secret_fields(instance)
        if config.get("rootPassword"):
            config["rootPassword"] = REDACTED
        settings = config.get("settings")
        labels = settings.get("userLabels") if isinstance(settings, dict) else None
        labels = labels if isinstance(labels, dict) else None
        uid = full_name("cloudsql", f"projects/{project}/instances/{name}")
        yield record("sql", "instance", uid, name, project, config, region, labels)


@REGISTRY.collector("gcp", "sql", regional=False, permissions=("cloudsql.instances.list",))
def collect_sql_instances(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _instances)
