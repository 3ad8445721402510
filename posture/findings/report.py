"""The compliance report: what an auditor is handed for one framework over one scope.

:func:`build_report` gathers it: every number comes from :func:`posture.findings.compliance.summary`
(no score is computed here); the report adds the accounts' latest scans (with what a partial scan did not
collect), the failing resources of each failing control, the attestations that decided controls, and who
produced it when. It reads a fixed number of queries whatever the size of the estate. The page and the PDF
(:mod:`posture.findings.report_pdf`) render the same dict.

Failing resources are the unmuted failing findings the latest scan saw (``last_seen`` at or after the scan's
score was taken), of the rules of controls failing in scope: exactly what the score counted, so the
summary's ``resources_failed`` is the number of distinct resources listed (until someone mutes one).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from posture.findings.compliance import DONE, summary
from posture.findings.models import Attestation, ComplianceScore, Finding
from posture.findings.scoring import FAIL
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import ANY_PROVIDER, Framework
from posture.scans.models import Scan

FAILING_FIELDS = (
    "rule_id",
    "resource_id",
    "resource_uid",
    "account__name",
    "resource__name",
    "resource__type",
    "resource__region",
)


def build_report(
    fw: Framework, accounts: QuerySet[CloudAccount], user: Any, scope_label: str = "", at: datetime | None = None
) -> dict[str, Any]:
    """The report of ``fw`` over ``accounts`` (already narrowed to what ``user`` may see), produced by ``user``."""
    at = at or timezone.now()
    s = summary(fw, accounts, at)
    in_scope = accounts.filter(pk__in=s["account_ids"])
    failing_controls = [c for section in s["sections"] for c in section["controls"] if c["status"] == FAIL]
    resources = failing_resources(fw, in_scope, failing_controls)
    attestations = deciding_attestations(s)
    return {
        "framework": s["framework"],
        "summary": s,
        "scope": scope_label or ("all accounts" if fw.provider == ANY_PROVIDER else f"all {fw.provider} accounts"),
        "scans": latest_scans(in_scope),
        "sections": [_section(section, resources, attestations) for section in s["sections"]],
        "resources_listed": len({row["resource_id"] for rows in resources.values() for row in rows}),
        "attestations": sorted(attestations.values(), key=lambda a: (a["control_id"], a["id"])),
        "generated_at": at,
        "generated_by": _person(user),
    }


def _person(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "command line"
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.get_username()})" if full else user.get_username()


def latest_scans(accounts: QuerySet[CloudAccount]) -> list[dict[str, Any]]:
    """Each account's newest finished scan, in one query: when, how it ended, and what it did not collect."""
    scans = Scan.objects.filter(id__in=_latest(accounts)).select_related("account").order_by("account__name", "id")
    return [
        {
            "id": scan.pk,
            "account": scan.account.name,
            "team": scan.account.team,
            "provider": scan.account.provider,
            "state": scan.state,
            "finished_at": scan.finished_at,
            "partial": bool(scan.errors),
            "not_collected": [_missing(e) for e in scan.errors or ()],
        }
        for scan in scans
    ]


def _missing(error: Any) -> dict[str, str]:
    error = error if isinstance(error, dict) else {"error": str(error)}
    return {key: str(error.get(key, "") or "") for key in ("service", "region", "kind", "error")}


def failing_resources(
    fw: Framework, accounts: QuerySet[CloudAccount], controls: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Control id -> its failing unmuted resources in the accounts' latest scans, read in one query."""
    rules_of = {c["id"]: c["rules"] for c in controls}
    controls_of: dict[str, list[str]] = defaultdict(list)
    for control_id, rules in rules_of.items():
        for rule_id in rules:
            controls_of[rule_id].append(control_id)
    out: dict[str, list[dict[str, Any]]] = {control_id: [] for control_id in rules_of}
    if not controls_of:
        return out
    # When the account's latest score was taken: the findings its scan saw were last seen then or later.
    taken = (
        ComplianceScore.objects.filter(account=OuterRef("account_id"), framework_id=fw.id)
        .order_by("-scan_id")
        .values("taken_at")[:1]
    )
    rows = (
        Finding.objects.filter(account__in=accounts, rule_id__in=sorted(controls_of), status="FAIL", muted=False)
        .annotate(scored_at=Subquery(taken))
        .filter(last_seen__gte=F("scored_at"))
        .order_by("account__name", "resource_uid", "rule_id")
        .values(*FAILING_FIELDS)
    )
    for row in rows.iterator(chunk_size=2000):
        for control_id in controls_of[row["rule_id"]]:
            out[control_id].append(row)
    return out


def _latest(accounts: QuerySet[CloudAccount]) -> QuerySet:
    """The ids of the accounts' newest finished scans, as a subquery."""
    newest = Scan.objects.filter(account=OuterRef("pk"), state__in=DONE).order_by("-id").values("id")[:1]
    return accounts.order_by().annotate(latest=Subquery(newest)).values("latest")


def deciding_attestations(s: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The attestations that decided controls in the summary, by id, in one query."""
    ids = {i for section in s["sections"] for c in section["controls"] for i in c["attestations"]}
    rows = Attestation.objects.filter(id__in=sorted(ids)).select_related("account", "created_by")
    return {a.pk: _attestation(a) for a in rows}


def _attestation(a: Attestation) -> dict[str, Any]:
    return {
        "id": a.pk,
        "control_id": a.control_id,
        "result": a.result,
        "scope": f"account {a.account.name}" if a.account_id else (f"team {a.team}" if a.team else "every account"),
        "note": a.note,
        "evidence_url": a.evidence_url,
        "expires_at": a.expires_at,
        "created_at": a.created_at,
        "created_by": a.created_by.get_username() if a.created_by else "",
    }


def _section(
    section: dict[str, Any], resources: dict[str, list[dict]], attestations: dict[int, dict]
) -> dict[str, Any]:
    controls = [
        {
            **c,
            "failing_resources": resources.get(c["id"], []),
            "attested_by": [attestations[i] for i in c["attestations"] if i in attestations],
        }
        for c in section["controls"]
    ]
    return {**section, "controls": controls}
