"""CIS Google Cloud Foundations v5.0.0: service account keys (1.5, 1.8) and Cloud KMS keys (1.10, 1.11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.helpers import public_bindings
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, observed, unreadable

CIS = "CIS Google Cloud Foundations v5.0.0"
SA = "gcp.iam.service_account"
KEY = "gcp.kms.crypto_key"
MAX_KEY_AGE = timedelta(days=90)
MAX_ROTATION_SECONDS = 90 * 24 * 3600


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
    references=(CIS + " 1.5",),
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
    references=(CIS + " 1.8",),
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


@rule(
    id="gcp.kms.crypto_key_not_public",
    title="Cloud KMS key is not anonymously or publicly accessible",
    severity="critical",
    category="exposure",
    resource_type=KEY,
    rationale="allUsers or allAuthenticatedUsers on a key lets anyone use or manage it.",
    remediation="Remove allUsers and allAuthenticatedUsers from the key's IAM policy.",
    references=(CIS + " 1.10",),
)
def key_not_public(resource: ResourceRecord, ctx) -> Verdict:
    public = public_bindings(resource.config.get("iamPolicy"))
    return unreadable(resource, "iamPolicy") or check(
        not public,
        "no binding grants the key to the public",
        "the key is granted to the public",
        ("iamPolicy.bindings[public]", public),
    )


def _seconds(value: object) -> float | None:
    try:
        return float(str(value).rstrip("s"))
    except ValueError:
        return None


@rule(
    id="gcp.kms.crypto_key_rotation",
    title="Cloud KMS key rotates automatically within 90 days",
    severity="medium",
    category="encryption",
    resource_type=KEY,
    rationale="Rotation limits how much data one key version protects and how long a leaked version is useful.",
    remediation="Set a rotation period of 90 days or less (and a next rotation time) on the key.",
    references=(CIS + " 1.11",),
)
def key_rotation(resource: ResourceRecord, ctx) -> Verdict | None:
    if resource.config.get("purpose", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        return None  # only symmetric keys rotate automatically
    period = _seconds(resource.config.get("rotationPeriod")) if resource.config.get("rotationPeriod") else None
    return check(
        period is not None and period <= MAX_ROTATION_SECONDS and bool(resource.config.get("nextRotationTime")),
        "the key rotates within 90 days",
        "the key does not rotate within 90 days",
        observed(resource.config, "rotationPeriod"),
        observed(resource.config, "nextRotationTime"),
    )
