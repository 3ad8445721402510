"""The JSON a webhook carries (and the facts a Jira issue is written from): the finding and a link back."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from posture.env import env_str
from posture.findings.models import Finding, FindingEvent
from posture.rules.frameworks import catalog
from posture.rules.registry import RULES
from posture.scans.models import Scan

PAYLOAD_VERSION = 1


def base_url() -> str:
    """``POSTURE_BASE_URL``: where people reach this Posture (links in webhooks and tickets)."""
    value = getattr(settings, "POSTURE_BASE_URL", "") or env_str("POSTURE_BASE_URL", "http://localhost:8000")
    return value.rstrip("/")


def _page(name: str, pk: int, api_path: str) -> str:
    try:
        return base_url() + reverse(name, args=[pk])
    except NoReverseMatch:  # no web page for it: the API's
        return f"{base_url()}/api/v1/{api_path}/{pk}/"


def finding_url(finding_id: int) -> str:
    """The finding's page in the web UI."""
    return _page("finding-detail", finding_id, "findings")


def scan_url(scan_id: int) -> str:
    return _page("scan-detail", scan_id, "scans")


def rule_facts(rule_id: str) -> dict[str, str]:
    if rule_id in RULES:
        r = RULES.get(rule_id)
        return {"title": r.title, "rationale": r.rationale, "remediation": r.remediation}
    return {"title": rule_id, "rationale": "", "remediation": ""}


def finding_doc(finding: Finding) -> dict[str, Any]:
    account = finding.account
    resource = finding.resource
    facts = rule_facts(finding.rule_id)
    return {
        "id": finding.pk,
        "rule_id": finding.rule_id,
        "title": facts["title"],
        "severity": finding.severity,
        "status": finding.status,
        "muted": finding.muted,
        "message": finding.message,
        "evidence": finding.evidence,
        "remediation": facts["remediation"],
        "controls": [{"framework": fw, "control": c} for fw, c in catalog().controls_for_rule(finding.rule_id)],
        "account": {
            "id": account.pk,
            "name": account.name,
            "provider": account.provider,
            "external_id": account.external_id,
            "team": account.team,
            "labels": account.labels,
        },
        "resource": {
            "uid": resource.uid,
            "name": resource.name,
            "type": resource.type,
            "region": resource.region,
            "service": resource.service,
        },
        "first_seen": finding.first_seen.isoformat(),
        "last_seen": finding.last_seen.isoformat(),
        "url": finding_url(finding.pk),
    }


def scan_doc(scan: Scan) -> dict[str, Any]:
    return {
        "id": scan.pk,
        "account": scan.account.name,
        "state": scan.state,
        "trigger": scan.trigger,
        "started_at": scan.started_at.isoformat() if scan.started_at else None,
        "finished_at": scan.finished_at.isoformat() if scan.finished_at else None,
        "counts": scan.counts,
        "errors": scan.errors,
        "message": scan.message,
        "url": scan_url(scan.pk),
    }


def finding_payload(event: str, finding: Finding, source: FindingEvent | None) -> dict[str, Any]:
    transition = None
    if source is not None:
        transition = {
            "kind": source.kind,
            "from_status": source.from_status,
            "to_status": source.to_status,
            "at": source.at.isoformat(),
            "scan_id": source.scan_id,
            "note": source.note,
        }
    return {"version": PAYLOAD_VERSION, "event": event, "finding": finding_doc(finding), "transition": transition}


def scan_payload(event: str, scan: Scan) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "event": event, "scan": scan_doc(scan)}


def attestation_payload(event: str, attestation: Any) -> dict[str, Any]:
    return {
        "version": PAYLOAD_VERSION,
        "event": event,
        "attestation": {
            "id": attestation.pk,
            "framework": attestation.framework_id,
            "control": attestation.control_id,
            "result": attestation.result,
            "scope": attestation.scope_label,
            "account": attestation.account.name if attestation.account_id else None,
            "team": attestation.team or None,
            "expires_at": attestation.expires_at.isoformat(),
            "url": f"{base_url()}/compliance/{attestation.framework_id}/controls/{attestation.control_id}/",
        },
    }


def test_payload(target_name: str) -> dict[str, Any]:
    return {
        "version": PAYLOAD_VERSION,
        "event": "test",
        "message": f"Test delivery to {target_name}: if you can read this, the endpoint and the secret work.",
        "url": base_url(),
    }
