"""Triage actions shared by the pages and the API: mute and unmute chosen findings, revoke a rule.

A mute is always a MuteRule (the model the API and the scans use): muting one
finding makes a rule for its account, rule and exact resource uid.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from posture.access.audit import record
from posture.findings.models import Finding, MuteRule
from posture.findings.mutes import MuteInputError, apply_mutes, validate

BULK_MAX = 500


def mute_findings(
    findings: Iterable[Finding], reason: str, expires_at: datetime | None, *, user: Any
) -> list[MuteRule]:
    """One mute rule per finding (its account, rule and exact uid); then the findings are muted."""
    now = timezone.now()
    findings = list(findings)
    if not findings:
        raise MuteInputError("choose at least one finding")
    if len(findings) > BULK_MAX:
        raise MuteInputError(f"at most {BULK_MAX} findings at once; narrow the filter or mute by rule in Settings")
    rules = []
    with transaction.atomic():
        for f in findings:
            data = {
                "account": f.account_id,
                "rule_id": f.rule_id,
                "resource_pattern": glob.escape(f.resource_uid),
                "reason": reason,
                "expires_at": expires_at,
            }
            validate(data, now)
            rule = MuteRule.objects.create(
                account_id=f.account_id,
                rule_id=f.rule_id,
                resource_pattern=data["resource_pattern"],
                reason=reason.strip(),
                expires_at=expires_at,
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
            record(
                "mute.create",
                rule,
                user=user,
                source="web",
                detail={"rule_id": rule.rule_id, "pattern": rule.resource_pattern, "reason": rule.reason},
            )
            rules.append(rule)
    apply_mutes(list({f.account for f in findings}), now=now, actor=user)
    return rules


def unmute_findings(findings: Iterable[Finding], *, user: Any) -> int:
    """Revoke the mute rules that mute these findings; returns how many rules were revoked."""
    rule_ids = {f.mute_rule_id for f in findings if f.mute_rule_id}
    now = timezone.now()
    rules = list(MuteRule.objects.filter(pk__in=rule_ids, revoked_at__isnull=True))
    if not rules:
        return 0
    with transaction.atomic():
        for rule in rules:
            rule.revoked_at = now
            rule.save(update_fields=["revoked_at"])
            record("mute.revoke", rule, user=user, source="web")
    apply_mutes(now=now, actor=user)
    return len(rules)


def revoke_rule(rule: MuteRule, *, user: Any, source: str = "web") -> None:
    """Revoke a rule (kept for the record) and unmute what only it covered."""
    if rule.revoked_at is None:
        rule.revoked_at = timezone.now()
        rule.save(update_fields=["revoked_at"])
        record("mute.revoke", rule, user=user, source=source)
        apply_mutes(actor=user)


def parse_expiry(raw: str) -> datetime | None:
    """``YYYY-MM-DD`` (end of that day, UTC) or ``YYYY-MM-DDTHH:MM``; empty means never."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw if "T" in raw else f"{raw}T23:59:59")
    except ValueError:
        raise MuteInputError(f"expiry {raw!r} is not a date (YYYY-MM-DD)") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment
