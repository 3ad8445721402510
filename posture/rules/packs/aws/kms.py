"""KMS rules: customer keys rotate, and no key policy lets anyone use a key."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.support import public_principal_verdict
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, observed


@rule(
    id="aws.kms.customer_key_rotation_enabled",
    title="Rotation is enabled for customer-created symmetric KMS keys",
    severity="medium",
    category="encryption",
    resource_type="aws.kms.key",
    rationale="Rotating key material limits how much data one compromised key version protects.",
    remediation="aws kms enable-key-rotation --key-id KEY",
)
def kms_rotation(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    meta = resource.config.get("KeyMetadata") or {}
    if (
        meta.get("KeyManager") != "CUSTOMER"
        or meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
        or meta.get("KeyState") != "Enabled"
        or meta.get("Origin") == "EXTERNAL"
    ):
        return None
    return check(
        resource.config.get("KeyRotationEnabled") is True,
        "automatic key rotation is enabled",
        "automatic key rotation is disabled",
        observed(resource.config, "KeyRotationEnabled"),
    )


@rule(
    id="aws.kms.key_policy_no_public_principal",
    title='KMS key policy does not allow Principal "*" without conditions',
    severity="high",
    category="exposure",
    resource_type="aws.kms.key",
    rationale='A key policy allowing Principal "*" lets any AWS account use or manage the key.',
    remediation="Name the principals in the key policy, or restrict the statement with kms:CallerAccount, "
    "kms:ViaService or aws:PrincipalOrgID.",
)
def kms_no_public(resource: ResourceRecord, ctx: Any) -> Verdict:
    return public_principal_verdict(resource, "Policy", "KeyPolicy")
