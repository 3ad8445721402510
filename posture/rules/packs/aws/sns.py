"""SNS rules: no topic policy lets anyone use a topic."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.support import public_principal_verdict
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict


@rule(
    id="aws.sns.topic_policy_no_public_principal",
    title='SNS topic policy does not allow Principal "*" without conditions',
    severity="medium",
    category="exposure",
    resource_type="aws.sns.topic",
    rationale='A topic policy allowing Principal "*" lets anyone publish to or subscribe to the topic.',
    remediation="Name the principals, or add an aws:SourceAccount / aws:SourceArn / aws:PrincipalOrgID "
    "condition to the statement.",
)
def sns_no_public(resource: ResourceRecord, ctx: Any) -> Verdict:
    return public_principal_verdict(resource, "Attributes.Policy", "Attributes")
