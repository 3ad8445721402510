"""``resource.drifted``: a scan's changed resources reach people, once per resource per scan.

Read from the scan's ResourceChange rows (only the resource and its type are relied on; richer change rows
are used where they exist). Webhooks that asked for the event get one delivery per changed resource that
passes their account, resource-type and namespace filters; a Jira ticket still open for a finding on a
changed resource gets a comment. The dedupe key ``drift:<scan>:<resource>`` makes a second dispatch of the
same scan send nothing.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from posture.findings.models import FindingEvent
from posture.integrations.models import Delivery, Event, Ticket, WebhookEndpoint
from posture.integrations.payloads import PAYLOAD_VERSION, scan_url
from posture.inventory.models import Resource, ResourceChange
from posture.scans.models import Scan, ScanState

MAX_FIELDS = 50


def namespace_of(resource: Resource) -> str:
    """A Kubernetes object's namespace (from its config, else its ``namespace/Kind/name`` uid); '' otherwise."""
    if not resource.type.startswith("kubernetes."):
        return ""
    namespace = ((resource.config or {}).get("metadata") or {}).get("namespace")
    if namespace:
        return str(namespace)
    parts = resource.uid.split("/")
    return parts[0] if len(parts) == 3 else ""


def failed_drift_filters(hook: WebhookEndpoint, resource: Resource, account_ids: set[int]) -> list[str]:
    """Which of the hook's filters (``account``, ``type``, ``namespace``) the changed resource fails."""
    failed = []
    if account_ids and resource.account_id not in account_ids:
        failed.append("account")
    if hook.resource_types and resource.type not in hook.resource_types:
        failed.append("type")
    if hook.namespaces and namespace_of(resource) not in hook.namespaces:
        failed.append("namespace")
    return failed


def changed_fields(change: ResourceChange) -> list[str] | None:
    """The changed field paths: the change row's own when it has them, else top-level keys that differ."""
    for name in ("changed_fields", "fields", "changed_keys"):
        value = getattr(change, name, None)
        if isinstance(value, list | tuple):
            return [str(v) for v in value][:MAX_FIELDS]
    resource = change.resource
    if resource.config_hash != change.new_hash:
        return None  # the resource changed again since: this scan's change is not the current config
    before, after = change.previous_config or {}, resource.config or {}
    keys = sorted((set(before) | set(after)), key=str)
    return [str(k) for k in keys if before.get(k) != after.get(k)][:MAX_FIELDS]


def drift_payload(scan: Scan, change: ResourceChange, fields: list[str] | None) -> dict[str, Any]:
    resource = change.resource
    return {
        "version": PAYLOAD_VERSION,
        "event": Event.RESOURCE_DRIFTED.value,
        "resource": {
            "uid": resource.uid,
            "name": resource.name,
            "type": resource.type,
            "region": resource.region,
            "namespace": namespace_of(resource) or None,
        },
        "account": {"id": scan.account_id, "name": scan.account.name},
        "change": {
            "scan_id": scan.pk,
            "at": change.at.isoformat(),
            "previous_hash": change.previous_hash,
            "new_hash": change.new_hash,
            "fields": fields,
        },
        "url": scan_url(scan.pk),
    }


def drift_key(scan: Scan, resource_id: int) -> str:
    return f"drift:{scan.pk}:{resource_id}"


def dispatch_drift(scan: Scan) -> set[tuple[str, int]]:
    """Deliveries for the scan's changed resources; returns the targets that got any."""
    if scan.state not in (ScanState.SUCCEEDED, ScanState.PARTIAL):
        return set()
    hooks = [
        h
        for h in WebhookEndpoint.objects.filter(enabled=True).prefetch_related("accounts")
        if Event.RESOURCE_DRIFTED in h.events
    ]
    changes = list(ResourceChange.objects.filter(scan=scan).select_related("resource").order_by("resource_id", "id"))
    if not changes:
        return set()
    changes = list({c.resource_id: c for c in changes}.values())  # once per resource, the scan's last change
    now = timezone.now()
    rows, targets = webhook_rows(scan, changes, hooks, now)
    jira_rows = ticket_rows(scan, changes, now)
    Delivery.objects.bulk_create([*rows, *jira_rows], ignore_conflicts=True, batch_size=500)
    return targets | {("jira", d.jira_id) for d in jira_rows}


def webhook_rows(
    scan: Scan, changes: list[ResourceChange], hooks: list[WebhookEndpoint], now: Any
) -> tuple[list[Delivery], set[tuple[str, int]]]:
    rows, targets = [], set()
    for change in changes:
        payload = None
        for hook in hooks:
            if failed_drift_filters(hook, change.resource, {a.pk for a in hook.accounts.all()}):
                continue
            payload = payload or drift_payload(scan, change, changed_fields(change))
            key = drift_key(scan, change.resource_id)
            rows.append(
                Delivery(
                    webhook=hook,
                    event=Event.RESOURCE_DRIFTED,
                    dedupe_key=key,
                    scan=scan,
                    payload=payload,
                    next_attempt_at=now,
                )
            )
            targets.add(("webhook", hook.pk))
    return rows, targets


def ticket_rows(scan: Scan, changes: list[ResourceChange], now: Any) -> list[Delivery]:
    """A comment for every open ticket (of an enabled connection) that tracks a finding on a changed resource,
    unless one of the resource's findings changed status in this scan: that transition's own comment (resolved,
    regression) already tells the ticket."""
    by_resource = {c.resource_id: c for c in changes}
    moved = set(
        FindingEvent.objects.filter(scan=scan, finding__resource_id__in=list(by_resource)).values_list(
            "finding__resource_id", flat=True
        )
    )
    by_resource = {pk: c for pk, c in by_resource.items() if pk not in moved}
    links = (
        Ticket.findings.through.objects.filter(
            finding__resource_id__in=list(by_resource), ticket__done=False, ticket__connection__enabled=True
        )
        .select_related("ticket", "finding")
        .order_by("ticket_id", "finding_id")
    )
    rows, seen = [], set()
    for link in links:
        resource_id = link.finding.resource_id
        if (link.ticket_id, resource_id) in seen:
            continue  # one comment per ticket and changed resource, however many of its findings the ticket tracks
        seen.add((link.ticket_id, resource_id))
        change = by_resource[resource_id]
        payload = {"scan_id": scan.pk, "fields": changed_fields(change), "ticket": link.ticket.key}
        rows.append(
            Delivery(
                jira_id=link.ticket.connection_id,
                event=Event.RESOURCE_DRIFTED,
                dedupe_key=f"{drift_key(scan, resource_id)}:{link.ticket_id}",
                finding=link.finding,
                scan=scan,
                payload=payload,
                next_attempt_at=now,
            )
        )
    return rows
