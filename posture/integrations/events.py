"""Turn scan results and finding transitions into deliveries (the outbox); ``tasks.sweep`` then wakes the senders.

Finding transitions are read from FindingEvent rows in id order with a cursor (the writers hold the
change-counter lock until commit, so ids commit in order): what a scan changed, and mutes made in the
API or by expiry, which carry no scan. Each (target, event) becomes at most one Delivery (unique
``dedupe_key``), so running the dispatch twice sends nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from posture.findings.models import EventKind, Finding, FindingEvent
from posture.integrations.jira.issues import group_of
from posture.integrations.models import (
    Delivery,
    DeliveryStatus,
    DispatchCursor,
    Event,
    JiraConnection,
    Target,
    Ticket,
    WebhookEndpoint,
)
from posture.integrations.payloads import attestation_payload, finding_payload, scan_payload
from posture.rules.frameworks import catalog
from posture.scans.models import Scan, ScanState

log = logging.getLogger(__name__)
BATCH = 2000
EVENT_OF_KIND = {
    EventKind.OPENED: Event.NEW_FAILURE,
    EventKind.REOPENED: Event.REGRESSION,
    EventKind.RESOLVED: Event.RESOLVED,
    EventKind.MUTED: Event.MUTED,
    EventKind.UNMUTED: Event.UNMUTED,
}


@dataclass
class Dispatched:
    deliveries: int = 0
    events: int = 0
    targets: set[tuple[str, int]] = field(default_factory=set)


def latest_event_id() -> int:
    return FindingEvent.objects.aggregate(m=Max("id"))["m"] or 0


def matches(target: Target, finding: Finding, account_ids: set[int]) -> bool:
    """The target's severity, account and framework filters (an empty filter lets everything through)."""
    return not failed_filters(target, finding, account_ids)


def failed_filters(target: Target, finding: Finding, account_ids: set[int]) -> list[str]:
    """Which of the target's filters (``account``, ``severity``, ``framework``) ``finding`` fails."""
    failed = []
    if account_ids and finding.account_id not in account_ids:
        failed.append("account")
    if target.severities and finding.severity not in target.severities:
        failed.append("severity")
    if target.frameworks:
        frameworks = {fw for fw, _ in catalog().controls_for_rule(finding.rule_id)}
        if not frameworks & set(target.frameworks):
            failed.append("framework")
    return failed


def scope_refusal(target: Target, finding: Finding) -> str:
    """Why ``target`` does not take ``finding``, in words (its account, severity and framework filters), or ''."""
    accounts = sorted(target.accounts.all(), key=lambda a: a.name)
    failed = failed_filters(target, finding, {a.pk for a in accounts})
    words = {
        "account": lambda: f"account {', '.join(a.name for a in accounts)} only, not {finding.account.name}",
        "severity": lambda: f"severity {', '.join(target.severities)} only, not {finding.severity}",
        "framework": lambda: f"frameworks {', '.join(target.frameworks)} only (not {finding.rule_id})",
    }
    return f"{target.name} takes findings of {'; of '.join(words[f]() for f in failed)}" if failed else ""


class _JiraView:
    """What a Jira connection already tracks: findings with a ticket or a pending one, and ticket groups."""

    def __init__(self, connection: JiraConnection, finding_ids: list[int]) -> None:
        self.connection = connection
        self.accounts = {a.pk for a in connection.accounts.all()}
        tracked = Ticket.findings.through.objects.filter(ticket__connection=connection, finding_id__in=finding_ids)
        self.findings = set(tracked.values_list("finding_id", flat=True))
        opening = (Event.NEW_FAILURE, Event.REGRESSION, Event.TICKET_REQUESTED)
        queued = connection.deliveries.filter(status=DeliveryStatus.PENDING, event__in=opening)
        self.findings |= set(queued.values_list("finding_id", flat=True))
        self.groups = set(Ticket.objects.filter(connection=connection).values_list("group_key", flat=True))

    def wants(self, event: str, finding: Finding) -> bool:
        if finding.pk in self.findings:
            return True
        if event not in (Event.NEW_FAILURE, Event.REGRESSION):
            return False
        if not matches(self.connection, finding, self.accounts):
            return False
        if finding.severity in (self.connection.auto_severities or []):
            return True
        return self.connection.grouping == "control" and group_of(self.connection, finding).key in self.groups


def _cursor(targets: list[Target]) -> DispatchCursor:
    cursor = DispatchCursor.objects.select_for_update().order_by("pk").first()
    if cursor is None:
        start = min((t.start_event_id for t in targets), default=latest_event_id())
        cursor = DispatchCursor.objects.create(last_event_id=start)
    return cursor


def dispatch_findings(limit: int = BATCH) -> Dispatched:
    """Deliveries for the finding events since the cursor (one batch); moves the cursor."""
    out = Dispatched()
    hooks = list(WebhookEndpoint.objects.filter(enabled=True).prefetch_related("accounts"))
    conns = list(JiraConnection.objects.filter(enabled=True).prefetch_related("accounts"))
    with transaction.atomic():
        cursor = _cursor([*hooks, *conns])
        if not hooks and not conns:
            cursor.last_event_id = max(cursor.last_event_id, latest_event_id())
            cursor.save(update_fields=["last_event_id"])
            return out
        events = list(
            FindingEvent.objects.filter(id__gt=cursor.last_event_id, kind__in=list(EVENT_OF_KIND))
            .select_related("finding__account", "finding__resource")
            .order_by("id")[:limit]
        )
        if not events:
            return out
        out.events = len(events)
        finding_ids = [e.finding_id for e in events]
        hook_accounts = {h.pk: {a.pk for a in h.accounts.all()} for h in hooks}
        views = [_JiraView(c, finding_ids) for c in conns]
        now = timezone.now()
        rows: list[Delivery] = []
        for ev in events:
            name, finding = EVENT_OF_KIND[ev.kind], ev.finding
            payload: dict[str, Any] | None = None
            for hook in hooks:
                if ev.id <= hook.start_event_id or name not in hook.events:
                    continue
                if not matches(hook, finding, hook_accounts[hook.pk]):
                    continue
                payload = payload or finding_payload(name, finding, ev)
                rows.append(_delivery(now, ev, name, payload, webhook=hook))
                out.targets.add(("webhook", hook.pk))
            for view in views:
                if ev.id <= view.connection.start_event_id or not view.wants(name, finding):
                    continue
                view.findings.add(finding.pk)
                note = {"note": ev.note, "scan_id": ev.scan_id, "kind": ev.kind}
                rows.append(_delivery(now, ev, name, note, jira=view.connection))
                out.targets.add(("jira", view.connection.pk))
        Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        cursor.last_event_id = events[-1].id
        cursor.save(update_fields=["last_event_id"])
        out.deliveries = len(rows)
    return out


def _delivery(now: Any, ev: FindingEvent, name: str, payload: dict[str, Any], **target: Any) -> Delivery:
    return Delivery(
        event=name,
        dedupe_key=f"event:{ev.pk}",
        finding_id=ev.finding_id,
        scan_id=ev.scan_id,
        payload=payload,
        next_attempt_at=now,
        **target,
    )


def dispatch_scan(scan: Scan) -> Dispatched:
    """``scan.finished`` / ``scan.failed`` for the webhooks that asked for it."""
    out = Dispatched()
    if scan.state == ScanState.FAILED:
        name = Event.SCAN_FAILED
    elif scan.state in (ScanState.SUCCEEDED, ScanState.PARTIAL, ScanState.CANCELLED):
        name = Event.SCAN_FINISHED
    else:
        return out
    now = timezone.now()
    rows = []
    for hook in WebhookEndpoint.objects.filter(enabled=True).prefetch_related("accounts"):
        accounts = {a.pk for a in hook.accounts.all()}
        if name not in hook.events or (accounts and scan.account_id not in accounts):
            continue
        rows.append(
            Delivery(
                webhook=hook,
                event=name,
                dedupe_key=f"scan:{scan.pk}",
                scan=scan,
                payload=scan_payload(name, scan),
                next_attempt_at=now,
            )
        )
        out.targets.add(("webhook", hook.pk))
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    out.deliveries = len(rows)
    return out


def dispatch_attestations(expired: list[Any]) -> Dispatched:
    """``attestation.expired`` for the webhooks that asked for it and whose accounts the attestation covers."""
    out = Dispatched()
    now = timezone.now()
    rows = []
    hooks = list(WebhookEndpoint.objects.filter(enabled=True).prefetch_related("accounts"))
    for attestation in expired:
        payload = attestation_payload(Event.ATTESTATION_EXPIRED, attestation)
        for hook in hooks:
            accounts = {a.pk: a for a in hook.accounts.all()}
            if Event.ATTESTATION_EXPIRED not in hook.events or not _covers(attestation, accounts):
                continue
            key = f"attestation:{attestation.pk}:expired"
            rows.append(
                Delivery(
                    webhook=hook, event=Event.ATTESTATION_EXPIRED, dedupe_key=key, payload=payload, next_attempt_at=now
                )
            )
            out.targets.add(("webhook", hook.pk))
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    out.deliveries = len(rows)
    return out


def _covers(attestation: Any, accounts: dict[int, Any]) -> bool:
    """Whether a target limited to ``accounts`` (empty: every account) hears of the attestation."""
    if not accounts:
        return True
    if attestation.account_id is not None:
        return attestation.account_id in accounts
    return not attestation.team or any(a.team == attestation.team for a in accounts.values())


def due_targets() -> set[tuple[str, int]]:
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
    hooks = due.filter(webhook__isnull=False).values_list("webhook_id", flat=True).distinct()
    conns = due.filter(jira__isnull=False).values_list("jira_id", flat=True).distinct()
    return {("webhook", pk) for pk in hooks} | {("jira", pk) for pk in conns}
