from __future__ import annotations

from rest_framework import serializers

from posture.findings.models import Finding
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan


class AccountSerializer(serializers.ModelSerializer):
    """Credentials are never returned: only whether some are stored."""

    has_credentials = serializers.BooleanField(read_only=True)

    class Meta:
        model = CloudAccount
        fields = [
            "id",
            "name",
            "provider",
            "external_id",
            "regions",
            "endpoint_url",
            "team",
            "labels",
            "enabled",
            "scan_schedule",
            "has_credentials",
            "verified_at",
            "created_at",
        ]


class ScanSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="name", read_only=True)
    progress = serializers.IntegerField(read_only=True)

    class Meta:
        model = Scan
        fields = [
            "id",
            "account",
            "state",
            "trigger",
            "created_at",
            "started_at",
            "finished_at",
            "progress",
            "counts",
            "errors",
            "message",
        ]


class FindingSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="name", read_only=True)
    resource = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "account",
            "rule_id",
            "status",
            "severity",
            "message",
            "evidence",
            "resource",
            "first_seen",
            "last_seen",
            "status_changed_at",
            "muted",
        ]

    def get_resource(self, f: Finding) -> dict:
        r = f.resource
        return {"uid": r.uid, "name": r.name, "type": r.type, "region": r.region, "service": r.service}
