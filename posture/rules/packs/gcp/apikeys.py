"""API key rules: keys exist only where needed, each restricted to its callers and its APIs, and rotated.

The ``gcp.apikeys.project`` summary says whether the keys could be listed (the API Keys API may not be enabled,
and keys may exist all the same: the list is then unknown, an ERROR, never a PASS).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.iam import parse_time
from posture.rules.registry import field_rule, rule
from posture.rules.thresholds import api_key_max_age_days
from posture.rules.verdicts import Verdict, check, unreadable

KEY = "gcp.apikeys.key"
PROJECT = "gcp.apikeys.project"
APPLICATION_RESTRICTIONS = (
    "browserKeyRestrictions",
    "serverKeyRestrictions",
    "androidKeyRestrictions",
    "iosKeyRestrictions",
)
# a referrer that any site matches: "*", "*.com", "*.co.uk/*", "https://*", ... (a top-level domain, or a
# country's common second level; "*.acme.example" names one organization's sites and is not open)
OPEN_REFERRER = re.compile(
    r"^(https?://)?\*(\.([a-z]{2,}|(co|com|org|net|gov|edu|ac)\.[a-z]{2}))?(/\*?)?$", re.IGNORECASE
)
ANY_API = "cloudapis.googleapis.com"  # "Google Cloud APIs": every API, which restricts nothing


def _active(keys: Any) -> list[str]:
    return [str(k) for k in keys or []]


@rule(
    id="gcp.apikeys.no_api_keys",
    title="The project has no API keys",
    severity="low",
    category="identity",
    resource_type=PROJECT,
    rationale="An API key is a bearer secret with no identity behind it; service accounts or OAuth are safer, "
    "and a key left over from a retired service is an unwatched way in.",
    remediation="Delete the API keys no active service needs; use service accounts or OAuth where possible.",
)
def no_api_keys(resource: ResourceRecord, ctx) -> Verdict:
    keys = _active(resource.config.get("keys"))
    return unreadable(resource, "keys", "the project's API keys") or check(
        not keys,
        "the project has no API keys",
        f"the project has {len(keys)} API key(s); each must serve an active service",
        ("keys", keys),
    )


def _open_restriction(name: str, body: Any) -> list[str]:
    """The values of one application restriction that let anyone through."""
    body = body if isinstance(body, dict) else {}
    if name == "browserKeyRestrictions":
        return [str(r) for r in body.get("allowedReferrers") or [] if OPEN_REFERRER.match(str(r).strip())]
    if name == "serverKeyRestrictions":
        return [str(ip) for ip in body.get("allowedIps") or [] if _is_anywhere(str(ip))]
    return []


def _is_anywhere(value: str) -> bool:
    """0.0.0.0/0 or ::/0, and the unspecified addresses people write for them (0.0.0.0, ::0)."""
    if value.strip() in ("0.0.0.0", "::", "::0"):
        return True
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return network.prefixlen == 0


def _has_entries(name: str, body: Any) -> bool:
    body = body if isinstance(body, dict) else {}
    field = {
        "browserKeyRestrictions": "allowedReferrers",
        "serverKeyRestrictions": "allowedIps",
        "androidKeyRestrictions": "allowedApplications",
        "iosKeyRestrictions": "allowedBundleIds",
    }[name]
    return bool(body.get(field))


@rule(
    id="gcp.apikeys.key_restricted_to_applications",
    title="API keys are restricted to specific websites, IP addresses or apps",
    severity="medium",
    category="identity",
    resource_type=KEY,
    rationale="An unrestricted key works from anywhere for whoever copies it from a page, an app or a repository.",
    remediation="Set an application restriction (HTTP referrers, IP addresses, Android or iOS apps) that names only "
    "the callers, never '*' or 0.0.0.0/0.",
)
def key_restricted_to_applications(resource: ResourceRecord, ctx) -> Verdict:
    restrictions = resource.config.get("restrictions") or {}
    set_ = [n for n in APPLICATION_RESTRICTIONS if _has_entries(n, restrictions.get(n))]
    open_ = {n: _open_restriction(n, restrictions.get(n)) for n in set_ if _open_restriction(n, restrictions.get(n))}
    return check(
        bool(set_) and not open_,
        f"the key is restricted by {', '.join(set_)}" if set_ else "",
        "the key is restricted to callers that match anyone" if open_ else "the key has no application restriction",
        ("restrictions[application]", set_),
        ("restrictions[open to any caller]", open_),
    )


def _apis_restricted(targets: Any) -> bool:
    services = [str(t.get("service", "")) for t in targets or [] if isinstance(t, dict)]
    return bool(services) and ANY_API not in services and all(services)


field_rule(
    id="gcp.apikeys.key_restricted_to_apis",
    title="API keys are restricted to the APIs their application calls",
    severity="medium",
    category="identity",
    resource_type=KEY,
    path="restrictions.apiTargets",
    expect=_apis_restricted,
    ok="the key may call only the APIs it names",
    bad="the key may call any API the project enables (API targets: {value})",
    rationale="A key that works against every enabled API lets whoever holds it use services it was never meant for.",
    remediation="Set API restrictions on the key to the APIs its application calls (not 'Google Cloud APIs').",
)


def _recent(created: Any) -> bool:
    moment = parse_time(str(created or ""))
    return moment is not None and datetime.now(UTC) - moment <= timedelta(days=api_key_max_age_days())


field_rule(
    id="gcp.apikeys.key_rotated",
    title="API keys are rotated within 90 days",
    severity="medium",
    category="identity",
    resource_type=KEY,
    path="createTime",
    expect=_recent,
    ok=lambda created: f"the key was created {created}, within {api_key_max_age_days()} days",
    bad=lambda created: (
        f"the key was created {created}, more than {api_key_max_age_days()} days ago"
        if created
        else "the key's creation time is unknown"
    ),
    rationale="The older a key, the more places it may have been copied to; API keys cannot be rotated in place.",
    remediation="Create a new key with the same restrictions, move its callers over and delete the old key. "
    "The age is 90 days (POSTURE_GCP_API_KEY_MAX_AGE_DAYS).",
)
