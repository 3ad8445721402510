"""What an admin (API, pages or command line) does with an integration: save, remove, test it, ask for a ticket,
resend; each audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from posture.access.audit import record
from posture.findings.models import Finding
from posture.integrations import delivery, events, tasks
from posture.integrations.jira.client import JiraError
from posture.integrations.jira.sync import check_connection
from posture.integrations.models import Delivery, DeliveryStatus, Event, JiraConnection, Target, WebhookEndpoint
from posture.integrations.payloads import test_payload
from posture.integrations.webhooks.sender import post

AUDIT_NAMES = {WebhookEndpoint: "integration.webhook", JiraConnection: "integration.jira"}


def save_target(serializer: Any, *, user: Any = None, source: str = "api") -> Target:
    """Create or update a webhook endpoint or Jira connection from a valid serializer, audited by field names only.

    Never a secret's value in the audit log: only which fields were given.
    """
    verb = "update" if serializer.instance is not None else "create"
    target = serializer.save()
    fields = sorted(serializer.validated_data)
    record(f"{AUDIT_NAMES[type(target)]}.{verb}", target, user=user, source=source, detail={"fields": fields})
    return target


def remove_target(target: Target, *, user: Any = None, source: str = "api") -> None:
    record(f"{AUDIT_NAMES[type(target)]}.delete", target, user=user, source=source)
    target.delete()


def ticket_connections(finding: Finding) -> list[JiraConnection]:
    """The enabled Jira connections whose accounts, severities and frameworks take ``finding``."""
    connections = JiraConnection.objects.filter(enabled=True).prefetch_related("accounts")
    return [c for c in connections if events.matches(c, finding, {a.pk for a in c.accounts.all()})]


@dataclass
class CheckResult:
    ok: bool
    detail: str
    response_code: int | None = None


def check_target(target: Target, *, user: Any = None, source: str = "api") -> CheckResult:
    """Webhook: one signed test delivery (logged). Jira: sign in and find the project."""
    now = timezone.now()
    if isinstance(target, WebhookEndpoint):
        d = Delivery(
            webhook=target,
            event=Event.TEST,
            dedupe_key=f"test:{uuid.uuid4()}",
            payload=test_payload(target.name),
            next_attempt_at=now,
            attempts=1,
        )
        outcome = post(target.url, target.secret, Event.TEST, str(d.uid), d.payload)
        d.status = DeliveryStatus.SUCCEEDED if outcome.ok else DeliveryStatus.FAILED
        d.response_code, d.error, d.result = outcome.code, outcome.error, outcome.result
        d.delivered_at = now if outcome.ok else None
        d.save()
        result = CheckResult(outcome.ok, outcome.result if outcome.ok else outcome.error, outcome.code)
    else:
        try:
            result = CheckResult(True, check_connection(target))
        except JiraError as exc:
            result = CheckResult(False, exc.message, exc.status)
    fields: dict[str, Any] = {"last_error": "" if result.ok else result.detail}
    if isinstance(target, JiraConnection) and result.ok:
        fields["verified_at"] = now
    type(target).objects.filter(pk=target.pk).update(**fields)
    record("integration.test", target, user=user, source=source, detail={"ok": result.ok, "code": result.response_code})
    return result


def request_ticket(connection: JiraConnection, finding: Finding, *, user: Any = None, source: str = "api") -> Delivery:
    """A ticket for this finding by hand: queued like any other, then sent at once (the person waits).

    If another worker is sending this connection's queue, or Jira fails transiently, the delivery stays
    queued and a worker sends it (the response then says 202 and shows the delivery).
    """
    d = Delivery.objects.create(
        jira=connection,
        event=Event.TICKET_REQUESTED,
        dedupe_key=f"manual:{uuid.uuid4()}",
        finding=finding,
        payload={"requested_by": getattr(user, "username", "") or source},
        next_attempt_at=timezone.now(),
    )
    record("integration.ticket.request", finding, user=user, source=source, detail={"connection": connection.name})
    delivery.drain("jira", connection.pk)
    d.refresh_from_db()
    if d.status == DeliveryStatus.PENDING:
        tasks.wake({("jira", connection.pk)})
    return d


def resend(deliveries: list[Delivery], *, user: Any = None, source: str = "api") -> int:
    count = delivery.requeue(deliveries)
    targets = {("webhook", d.webhook_id) if d.webhook_id else ("jira", d.jira_id) for d in deliveries}
    if count:
        record("integration.resend", None, user=user, source=source, detail={"deliveries": [d.pk for d in deliveries]})
        tasks.wake(targets)
    return count
