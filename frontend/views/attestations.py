"""Attest a control or revoke an attestation from the control page (the service: posture.findings.attestations)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from frontend.views.common import posted_account, require_role
from posture.access.roles import Role
from posture.findings.attestations import (
    AttestationInput,
    AttestationInputError,
    create_attestation,
    end_of_day,
    revoke_attestation,
    visible_attestations,
)


def _expiry(raw: str) -> datetime | None:
    day = parse_date(raw.strip()) if raw.strip() else None
    return end_of_day(day) if day else None


@require_POST
@require_role(Role.ANALYST)
def attest(request: HttpRequest, framework_id: str, control_id: str) -> HttpResponse:
    scope = request.POST.get("scope", "account")
    account = posted_account(request, "account") if scope == "account" else None
    if scope == "account" and account is None:
        if request.POST.get("account", "").strip():  # another team's account answers as a missing one
            raise Http404("no such account")
        messages.error(request, "Not attested: choose one of your accounts.")
        return redirect("compliance-control", framework_id, control_id)
    try:
        attestation = create_attestation(
            AttestationInput(
                framework_id=framework_id,
                control_id=control_id,
                result=request.POST.get("result", ""),
                note=request.POST.get("note", ""),
                expires_at=_expiry(request.POST.get("expires", "")),
                account=account,
                team=request.POST.get("team", "").strip() if scope == "team" else "",
                evidence_url=request.POST.get("evidence_url", "").strip(),
            ),
            user=request.user,
            source="web",
        )
    except (AttestationInputError, ValueError) as exc:
        messages.error(request, f"Not attested: {exc}")
        return redirect("compliance-control", framework_id, control_id)
    messages.success(request, f"Attested {attestation.result} for {attestation.scope_label}; it counts in the score.")
    return redirect("compliance-control", framework_id, control_id)


@require_POST
@require_role(Role.ANALYST)
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    attestation = get_object_or_404(visible_attestations(request.user), pk=pk)
    try:
        revoke_attestation(attestation, user=request.user, source="web")
        messages.success(request, "Attestation revoked: the control needs attestation again.")
    except AttestationInputError as exc:
        messages.error(request, f"Not revoked: {exc}")
    return redirect("compliance-control", attestation.framework_id, attestation.control_id)
