"""An Estate of plain Items stored as accounts, resources and findings, for the database-side path tests."""

from __future__ import annotations

from django.utils import timezone

from posture.findings.models import Finding, MuteRule
from posture.inventory.models import CloudAccount, Resource
from tests.paths.estate import AWS, CLUSTER, GCP, Estate

PROVIDERS = {CLUSTER: "kubernetes", AWS: "aws", GCP: "gcp"}


def store(estate: Estate, teams: dict[int, str] | None = None, prefix: str = "") -> dict[int, CloudAccount]:
    """Accounts ``<prefix>cluster``, ``<prefix>aws``, ``<prefix>gcp`` with the estate's resources and findings;
    returns them by the estate's account number. A cluster account is labelled as an EKS cluster."""
    now = timezone.now()
    accounts = {}
    for number, provider in PROVIDERS.items():
        name = f"{prefix}{'cluster' if provider == 'kubernetes' else provider}"
        labels = {"platform": "eks", "cluster": "prod"} if provider == "kubernetes" else {}
        accounts[number] = CloudAccount.objects.create(
            provider=provider, name=name, team=(teams or {}).get(number, ""), labels=labels
        )
    for item in estate.items:
        resource = Resource.objects.create(
            account=accounts[item.account],
            provider=item.provider,
            service=item.type.split(".")[1],
            region="global",
            type=item.type,
            uid=item.uid,
            name=item.name,
            config=item.config,
            config_hash="x",
            first_seen=now,
            last_seen=now,
        )
        for hop in estate.findings.get(item.id, []):
            mute = MuteRule.objects.create(rule_id=hop.rule_id, reason=hop.mute_reason) if hop.muted else None
            Finding.objects.create(
                account=resource.account,
                rule_id=hop.rule_id,
                resource=resource,
                resource_uid=item.uid,
                status="FAIL",
                severity=hop.severity,
                first_seen=now,
                last_seen=now,
                status_changed_at=now,
                updated_at=now,
                muted=hop.muted,
                mute_rule=mute,
            )
    return accounts
