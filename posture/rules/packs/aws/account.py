"""Account rules: a security contact is registered."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, observed, unreadable


@rule(
    id="aws.account.security_contact_registered",
    title="A security contact is registered for the account",
    severity="medium",
    category="logging",
    resource_type="aws.account.contacts",
    rationale="AWS sends abuse reports and security notices (exposed keys, compromised instances) to the security "
    "contact; without one they reach only the root email address, which few people read.",
    remediation="aws account put-alternate-contact --alternate-contact-type SECURITY --email-address ADDRESS "
    "--name NAME --phone-number PHONE --title TITLE (a team address, not a person's).",
)
def security_contact_registered(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    problem = unreadable(resource, "SecurityContact", "the security contact")
    if problem:
        return problem
    contact = resource.config.get("SecurityContact") or {}
    return check(
        bool(str(contact.get("EmailAddress") or "").strip()),
        "a security contact with an email address is registered",
        "no security contact is registered",
        observed(resource.config, "SecurityContact.EmailAddress"),
    )
