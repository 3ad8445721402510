"""Write audit entries. Never put a secret in ``detail``."""

from __future__ import annotations

import getpass
from typing import Any

from django.db import models

from posture.access.models import AuditLog


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


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
    return AuditLog.objects.create(
        actor=actor,
        actor_label=label or (actor.get_username() if actor else (cli_actor() if source == "cli" else source)),
        source=source,
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        detail=detail or {},
    )
