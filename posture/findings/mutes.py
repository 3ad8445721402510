"""Mute rules: matching findings stay visible but leave the score; expiry brings them back."""

from __future__ import annotations

import fnmatch
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from posture.findings.feed import allocate
from posture.findings.models import EventKind, Finding, FindingEvent, MuteRule
from posture.findings.snapshots import rescore_latest
from posture.inventory.models import CloudAccount

BATCH = 500


class MuteInputError(ValueError):
    pass


def active_rules(now: datetime) -> list[MuteRule]:
    return list(
        MuteRule.objects.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    )


def matches(rule: MuteRule, account_id: int, rule_id: str, uid: str, tags: dict[str, Any]) -> bool:
    if rule.account_id is not None and rule.account_id != account_id:
        return False
    if rule.rule_id and rule.rule_id != rule_id:
        return False
    if rule.resource_pattern and not fnmatch.fnmatchcase(uid, rule.resource_pattern):
        return False
    if rule.tag_key:
        if rule.tag_key not in (tags or {}):
            return False
        if rule.tag_value and str(tags[rule.tag_key]) != rule.tag_value:
            return False
    return True


def validate(data: dict[str, Any], now: datetime) -> None:
    if not str(data.get("reason") or "").strip():
        raise MuteInputError("reason: say why these findings are muted")
    if not any(data.get(k) for k in ("account", "account_id", "rule_id", "resource_pattern", "tag_key")):
        raise MuteInputError("give at least one of account, rule_id, resource_pattern or tag_key")
    if data.get("tag_value") and not data.get("tag_key"):
        raise MuteInputError("tag_value needs tag_key")
    expires = data.get("expires_at")
    if expires is not None and expires <= now:
        raise MuteInputError("expires_at must be in the future")


def apply_mutes(
    accounts: list[CloudAccount] | None = None, *, now: datetime | None = None, actor: Any = None, rescore: bool = True
) -> dict[str, int]:
    """Bring every finding's muted flag in line with the active rules; an event per change.

    Run after each scan (which scores itself next: ``rescore=False``), when a rule is created or revoked, and
    periodically for expiry; the accounts whose findings changed have their latest scan scored again.
    """
    now = now or timezone.now()
    rules = active_rules(now)
    findings = Finding.objects.all()
    if accounts is not None:
        findings = findings.filter(account__in=accounts)
    rows = findings.values_list(
        "id", "account_id", "rule_id", "resource_uid", "resource__tags", "muted", "mute_rule_id"
    )
    changes: list[tuple[int, MuteRule | None]] = []
    touched: set[int] = set()
    for pk, account_id, rule_id, uid, tags, muted, current in rows.iterator(chunk_size=2000):
        match = next((r for r in rules if matches(r, account_id, rule_id, uid, tags)), None)
        if (match is not None) != muted or (match is not None and match.pk != current):
            changes.append((pk, match))
            touched.add(account_id)
    if not changes:
        return {"muted": 0, "unmuted": 0}
    with transaction.atomic():
        first = allocate(len(changes))
        updates = []
        events = []
        for n, (pk, rule) in enumerate(changes):
            finding = Finding(pk=pk, muted=rule is not None, mute_rule=rule, updated_at=now, change_seq=first + n)
            updates.append(finding)
            events.append(
                FindingEvent(
                    finding_id=pk,
                    actor=actor if getattr(actor, "is_authenticated", False) else None,
                    kind=EventKind.MUTED if rule is not None else EventKind.UNMUTED,
                    at=now,
                    note=rule.reason if rule is not None else "no active mute rule matches any more",
                )
            )
        Finding.objects.bulk_update(updates, ["muted", "mute_rule", "updated_at", "change_seq"], batch_size=BATCH)
        FindingEvent.objects.bulk_create(events, batch_size=BATCH)
        if rescore:
            rescore_latest(
                set(Finding.objects.filter(pk__in=[pk for pk, _ in changes]).values_list("account_id", flat=True))
            )
    muted = sum(1 for _, r in changes if r is not None)
    return {"muted": muted, "unmuted": len(changes) - muted}
