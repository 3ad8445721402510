"""Account rules: the security contact and the other alternate contacts are registered."""

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


@rule(
    id="aws.account.alternate_contacts_registered",
    title="Security, operations and billing contacts are registered for the account",
    severity="low",
    category="logging",
    resource_type="aws.account.contacts",
    rationale="AWS sends notices about suspicious activity, service events and billing to the account's contacts; "
    "with only the root email address on record they reach one mailbox, often one person's or nobody's.",
    remediation="aws account put-alternate-contact --alternate-contact-type SECURITY|OPERATIONS|BILLING "
    "--email-address ADDRESS --name NAME --phone-number PHONE --title TITLE (team addresses, kept current).",
)
def alternate_contacts_registered(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    keys = ("SecurityContact", "OperationsContact", "BillingContact")
    problem = next((v for v in (unreadable(resource, k) for k in keys) if v), None)
    if problem:
        return problem
    missing = [k for k in keys if not str((resource.config.get(k) or {}).get("EmailAddress") or "").strip()]
    return check(
        not missing,
        "security, operations and billing contacts are registered",
        f"no {', '.join(k.removesuffix('Contact').lower() for k in missing)} contact is registered",
        *(observed(resource.config, f"{k}.EmailAddress") for k in keys),
    )
