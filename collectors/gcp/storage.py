"""Cloud Storage: buckets (their own JSON) and each bucket's IAM policy."""

from __future__ import annotations

from collections.abc import Iterator

from google.api_core.retry import Retry
from google.cloud.storage.retry import _should_retry

from collectors.gcp.clients import storage_client
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _retry(session: GcpSession) -> Retry:
    return Retry(predicate=_should_retry, initial=session.retry_delay, maximum=8.0, timeout=session.retry_timeout)


def _buckets(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    client = storage_client(session, project)
    for bucket in client.list_buckets(project=project, projection="full", retry=_retry(session)):
        config = dict(bucket._properties)
        for acl in ("acl", "defaultObjectAcl"):  # kept as who-has-what; etags and self links dropped
            if isinstance(config.get(acl), list):
                config[acl] = [
                    {"entity": a.get("entity"), "role": a.get("role")} for a in config[acl] if isinstance(a, dict)
                ]
        try:
            config["iamPolicy"] = bucket.get_iam_policy(requested_policy_version=3, retry=_retry(session)).to_api_repr()
        except Exception as exc:  # one unreadable policy must not hide the other buckets
            config.setdefault(ERRORS_KEY, {})["iamPolicy"] = error_text(exc)
        name = config.get("name", bucket.name)
        uid = full_name("storage", f"projects/_/buckets/{name}")
        yield record(
            "storage",
            "bucket",
            uid,
            name,
            project,
            config,
            (config.get("location") or "").lower(),
            config.get("labels"),
        )


@REGISTRY.collector(
    "gcp", "storage", regional=False, permissions=("storage.buckets.list", "storage.buckets.getIamPolicy")
)
def collect_buckets(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _buckets)
