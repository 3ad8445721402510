"""The audit trail: append-only, hash-chained, forwarded as JSON to the ``posture.audit`` logger.

Never put a secret in ``detail``.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from posture.access.models import AuditHead, AuditLog

forward = logging.getLogger("posture.audit")
CHAINED = ("at", "actor_label", "source", "action", "object_type", "object_id", "object_repr", "detail", "prev_hash")


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def entry_hash(entry: AuditLog) -> str:
    content = {name: getattr(entry, name) for name in CHAINED}
    content["at"] = entry.at.isoformat()
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def as_json(entry: AuditLog) -> dict[str, Any]:
    return {
        "id": entry.pk,
        **{name: getattr(entry, name) for name in CHAINED},
        "at": entry.at.isoformat(),
        "entry_hash": entry.entry_hash,
    }


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    user: Any = None,
    source: str = "web",
    label: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    actor = user if getattr(user, "is_authenticated", False) else None
    entry = AuditLog(
        at=timezone.now(),
        actor=actor,
        actor_label=label or (actor.get_username() if actor else (cli_actor() if source == "cli" else source)),
        source=source,
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        detail=json.loads(json.dumps(detail or {}, default=str)),
    )
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        entry.prev_hash = head.entry_hash
        entry.entry_hash = entry_hash(entry)
        entry.save()
        head.entry_id, head.entry_hash = entry.pk, entry.entry_hash
        head.save()
    transaction.on_commit(lambda: forward.info(json.dumps(as_json(entry), default=str)))
    return entry


@dataclass
class Verdict:
    ok: bool
    checked: int
    problem: str = ""


def verify() -> Verdict:
    """Walk the chain from the first entry; say where it breaks, if it does."""
    previous = ""
    checked = 0
    last_id = 0
    for entry in AuditLog.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != previous:
            return Verdict(False, checked, f"entry {entry.pk}: the entry before it was changed or deleted")
        if entry_hash(entry) != entry.entry_hash:
            return Verdict(False, checked, f"entry {entry.pk}: its content was changed after it was written")
        previous, last_id = entry.entry_hash, entry.pk
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.entry_hash, head.entry_id) != (previous, last_id):
        return Verdict(
            False, checked, f"the newest entries after {last_id} were deleted (expected entry {head.entry_id})"
        )
    return Verdict(True, checked)
