"""``path.opened`` / ``path.closed``: an exposure path found or gone after a scan reaches the webhooks that asked.

One delivery per (webhook, path, transition, scan): the dedupe key ``path:<path>:<opened|closed>:<scan>`` makes
a second dispatch of the same build send nothing. A webhook limited to some accounts hears of the paths that
cross any of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils import timezone

from posture.integrations.models import Delivery, Event, WebhookEndpoint
from posture.integrations.payloads import PAYLOAD_VERSION, base_url
from posture.scans.models import Scan

if TYPE_CHECKING:  # paths call in here; the events need no more of them than their fields
    from posture.paths.models import ExposurePath


def path_payload(event: str, path: ExposurePath) -> dict[str, Any]:
    return {
        "version": PAYLOAD_VERSION,
        "event": event,
        "path": {
            "id": path.pk,
            "key": path.key,
            "title": path.title,
            "target_kind": path.target_kind,
            "rank": path.rank,
            "opened_at": path.opened_at.isoformat(),
            "closed_at": path.closed_at.isoformat() if path.closed_at else None,
            "hops": [{"kind": h["kind"], "label": h["label"], "edge": h.get("edge")} for h in path.hops],
            "accounts": sorted(a.name for a in path.accounts.all()),
        },
        "url": base_url() + reverse("paths") + f"#path-{path.pk}",
    }


def dispatch_paths(opened: list[ExposurePath], closed: list[ExposurePath], scan: Scan | None) -> int:
    """Deliveries for the paths a build opened and closed; returns how many were queued."""
    wanted = {Event.PATH_OPENED: opened, Event.PATH_CLOSED: closed}
    hooks = [
        h
        for h in WebhookEndpoint.objects.filter(enabled=True).prefetch_related("accounts")
        if set(h.events) & set(wanted)
    ]
    if not hooks or not (opened or closed):
        return 0
    now, rows = timezone.now(), []
    for event, paths in wanted.items():
        for path in paths:
            crossed = {a.pk for a in path.accounts.all()}
            payload = path_payload(event.value, path)
            for hook in hooks:
                accounts = {a.pk for a in hook.accounts.all()}
                if event not in hook.events or (accounts and not accounts & crossed):
                    continue
                key = f"path:{path.pk}:{event.value.split('.')[1]}:{scan.pk if scan else 0}"
                rows.append(
                    Delivery(webhook=hook, event=event, dedupe_key=key, scan=scan, payload=payload, next_attempt_at=now)
                )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)
