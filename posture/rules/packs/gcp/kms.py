"""Cloud KMS rules: keys rotate and are not public."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.helpers import public_bindings
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, observed, unreadable

KEY = "gcp.kms.crypto_key"


MAX_ROTATION_SECONDS = 90 * 24 * 3600


@rule(
    id="gcp.kms.crypto_key_not_public",
    title="Cloud KMS key is not anonymously or publicly accessible",
    severity="critical",
    category="exposure",
    resource_type=KEY,
    rationale="allUsers or allAuthenticatedUsers on a key lets anyone use or manage it.",
    remediation="Remove allUsers and allAuthenticatedUsers from the key's IAM policy.",
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
