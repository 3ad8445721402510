"""IAM: service accounts and their keys (plain REST: the IAM admin client is gRPC-only)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.inventory import SERVICE_ACCOUNT, listed
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

KEY_SECRETS = ("privateKeyData", "privateKeyType")


def _service_accounts(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    accounts = listed(
        session,
        project,
        SERVICE_ACCOUNT,
        None,
        lambda: session.pages("iam", f"v1/projects/{project}/serviceAccounts", "accounts"),
    )
    for account in accounts:
        config = dict(account)
        email = config.get("email", "")
        try:
            path = f"v1/projects/{project}/serviceAccounts/{quote(email, safe='@.')}/keys"
            keys = session.get_json("iam", path).get("keys", [])
            config["keys"] = [
                {k: v for k, v in key.items() if k not in KEY_SECRETS} for key in keys if isinstance(key, dict)
            ]
        except Exception as exc:
            config.setdefault(ERRORS_KEY, {})["keys"] = error_text(exc)
        uid = full_name("iam", f"projects/{project}/serviceAccounts/{email}")
        yield record("iam", "service_account", uid, email, project, config)


@REGISTRY.collector(
    "gcp", "iam", regional=False, permissions=("iam.serviceAccounts.list", "iam.serviceAccountKeys.list")
)
def collect_service_accounts(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _service_accounts)
