"""IAM rules: no user-managed service account keys, and those there are rotated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, unreadable

SA = "gcp.iam.service_account"


MAX_KEY_AGE = timedelta(days=90)


def _user_managed(resource: ResourceRecord) -> list[dict]:
    return [k for k in resource.config.get("keys") or [] if isinstance(k, dict) and k.get("keyType") == "USER_MANAGED"]


def _short(key: dict) -> str:
    return str(key.get("name", "")).rsplit("/", 1)[-1]


def parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@rule(
    id="gcp.iam.service_account_no_user_managed_keys",
    title="Service account has only Google-managed keys",
    severity="medium",
    category="identity",
    resource_type=SA,
    rationale="A downloaded key is a long-lived credential that leaks easily and never expires by itself.",
    remediation="Delete the user-managed keys; use Workload Identity, impersonation or attached service accounts.",
)
def no_user_managed_keys(resource: ResourceRecord, ctx) -> Verdict:
    keys = [_short(k) for k in _user_managed(resource)]
    return unreadable(resource, "keys") or check(
        not keys,
        "no user-managed keys",
        f"{len(keys)} user-managed key(s)",
        ("keys[keyType=USER_MANAGED]", keys),
    )


@rule(
    id="gcp.iam.service_account_keys_rotated",
    title="User-managed service account keys are rotated within 90 days",
    severity="medium",
    category="identity",
    resource_type=SA,
    rationale="The older a key, the more places it may have been copied to.",
    remediation="Create a new key, move its users over, and delete keys older than 90 days.",
)
def keys_rotated(resource: ResourceRecord, ctx) -> Verdict:
    now = datetime.now(UTC)
    old = []
    for key in _user_managed(resource):
        created = parse_time(key.get("validAfterTime", ""))
        if created is None or now - created > MAX_KEY_AGE:
            old.append({"key": _short(key), "validAfterTime": key.get("validAfterTime")})
    return unreadable(resource, "keys") or check(
        not old,
        "every user-managed key is younger than 90 days",
        "user-managed keys are older than 90 days",
        ("keys[USER_MANAGED, older than 90 days]", old),
    )
