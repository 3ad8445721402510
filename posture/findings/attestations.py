"""Attestations: a person's word on a control no rule decides, shared by the pages, the API and the command line.

An analyst attests a control pass or fail for one account, a team or every account, with a note, an
optional evidence link and an expiry. While active it counts in the score (``posture.findings.scoring``);
expired or revoked, the control needs attestation again. Creating, revoking and expiring are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from posture.access.audit import record
from posture.access.roles import Role, has_role
from posture.access.scoping import can_see, user_teams
from posture.findings.models import Attestation, AttestationResult
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import FrameworkError, catalog

MAX_DAYS = 400  # an attestation is reviewed at least about once a year
NOTE_LIMIT = 4000


class AttestationInputError(ValueError):
    pass


@dataclass
class AttestationInput:
    framework_id: str
    control_id: str
    result: str
    note: str
    expires_at: datetime | None
    account: CloudAccount | None = None
    team: str = ""
    evidence_url: str = ""


def end_of_day(day: date) -> datetime:
    """An expiry given as a date: the attestation lasts through that day, UTC."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def _check_control(framework_id: str, control_id: str) -> None:
    try:
        fw = catalog().get(framework_id)
    except FrameworkError as exc:
        raise AttestationInputError(f"framework: {exc}") from None
    try:
        control = fw.control(control_id)
    except KeyError:
        raise AttestationInputError(f"control: {framework_id} has no control {control_id!r}") from None
    if not control.in_scope:
        raise AttestationInputError(f"control: {control_id} is out of scope of {framework_id}: it is never scored")


def _check_fields(data: AttestationInput, now: datetime) -> None:
    if data.result not in AttestationResult.values:
        raise AttestationInputError("result: pass or fail")
    if not data.note.strip():
        raise AttestationInputError("note: say what was reviewed and how")
    if len(data.note) > NOTE_LIMIT:
        raise AttestationInputError(f"note: at most {NOTE_LIMIT} characters")
    if data.evidence_url:
        parts = urlsplit(data.evidence_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AttestationInputError("evidence_url: an http(s) link")
    if data.expires_at is None:
        raise AttestationInputError("expires_at: an attestation needs an expiry")
    if data.expires_at <= now:
        raise AttestationInputError("expires_at: must be in the future")
    if data.expires_at > now + timedelta(days=MAX_DAYS):
        raise AttestationInputError(f"expires_at: at most {MAX_DAYS} days ahead")
    if data.account is not None and data.team:
        raise AttestationInputError("scope: an account or a team, not both")


def _check_scope(data: AttestationInput, user: Any) -> None:
    """Analysts attest for accounts they see and their own teams; every account takes an admin."""
    if user is None:  # the operator's command line
        return
    if not has_role(user, Role.ANALYST):
        raise AttestationInputError("attesting needs the analyst role")
    if data.account is not None:
        if not can_see(user, data.account):
            raise AttestationInputError("account: no such account")
        return
    teams = user_teams(user)
    if data.team:
        if teams is not None and data.team not in teams:
            raise AttestationInputError(f"team: you are not in team {data.team!r}")
        return
    if teams is not None:
        raise AttestationInputError("scope: only admins attest for every account; name an account or a team")


def create_attestation(data: AttestationInput, *, user: Any = None, source: str = "web") -> Attestation:
    now = timezone.now()
    _check_control(data.framework_id, data.control_id)
    _check_fields(data, now)
    _check_scope(data, user)
    with transaction.atomic():
        attestation = Attestation.objects.create(
            framework_id=data.framework_id,
            control_id=data.control_id,
            account=data.account,
            team=data.team.strip(),
            result=data.result,
            note=data.note.strip(),
            evidence_url=data.evidence_url,
            expires_at=data.expires_at,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            created_at=now,
        )
        record("attestation.create", attestation, user=user, source=source, detail=_detail(attestation))
    return attestation


def revoke_attestation(attestation: Attestation, *, user: Any = None, source: str = "web") -> Attestation:
    if attestation.revoked_at is not None:
        raise AttestationInputError(f"attestation {attestation.pk} was revoked already")
    if user is not None and attestation.account_id is None and not attestation.team and not has_role(user, Role.ADMIN):
        raise AttestationInputError("only admins revoke an attestation for every account")
    with transaction.atomic():
        attestation.revoked_at = timezone.now()
        attestation.revoked_by = user if getattr(user, "is_authenticated", False) else None
        attestation.save(update_fields=["revoked_at", "revoked_by"])
        record("attestation.revoke", attestation, user=user, source=source, detail=_detail(attestation))
    return attestation


def announce_expired(now: datetime | None = None) -> list[Attestation]:
    """Attestations whose expiry has come and that were not announced yet: marked, audited, returned (the
    integrations turn them into ``attestation.expired`` events). The score needs none of this: it reads
    expiry by time."""
    now = now or timezone.now()
    out = []
    with transaction.atomic():
        due = Attestation.objects.select_for_update(of=("self",)).filter(
            expires_at__lte=now, revoked_at__isnull=True, expiry_announced_at__isnull=True
        )
        for attestation in due.select_related("account"):
            attestation.expiry_announced_at = now
            attestation.save(update_fields=["expiry_announced_at"])
            record("attestation.expire", attestation, source="system", detail=_detail(attestation))
            out.append(attestation)
    return out


def visible_attestations(user: Any) -> QuerySet[Attestation]:
    """What the user may read: their accounts', their teams' and the every-account attestations."""
    qs = Attestation.objects.select_related("account", "created_by", "revoked_by")
    teams = user_teams(user)
    if teams is None:
        return qs
    return qs.filter(
        Q(account__isnull=False, account__team__in=["", *sorted(teams)])
        | Q(account__isnull=True, team__in=sorted(teams))
        | Q(account__isnull=True, team="")
    )


def state_of(attestation: Attestation, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if attestation.revoked_at is not None and attestation.revoked_at <= now:
        return "revoked"
    return "expired" if attestation.expires_at <= now else "active"


def _detail(attestation: Attestation) -> dict[str, Any]:
    return {
        "framework": attestation.framework_id,
        "control": attestation.control_id,
        "result": attestation.result,
        "scope": attestation.scope_label,
        "expires_at": attestation.expires_at.isoformat(),
    }
