from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from functools import reduce
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from posture.access.models import ApiToken, AuditLog
from posture.access.scoping import scope
from posture.findings.models import Finding, FindingEvent, MuteRule
from posture.inventory.models import CloudAccount, Resource, Schedule
from posture.rules.frameworks import catalog
from posture.rules.registry import RULES
from posture.scans.models import Scan


def _iso(value: datetime | None, tz: tzinfo | None = None) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in the current time zone, UTC as ``Z``.

    Pass ``tz`` (the current time zone) when writing many: looking it up is most of the cost."""
    if value is None:
        return None
    text = value.astimezone(tz or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class VisibleAccountField(serializers.SlugRelatedField):
    """An account by name among those the requesting user may see: another team's is as missing as no account."""

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="name", queryset=CloudAccount.objects.all(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return CloudAccount.objects.none()
        return scope(CloudAccount.objects.all(), request.user, account_path="")


class AccountSerializer(serializers.ModelSerializer):
    """Credentials are write-only: a response only says whether some are stored."""

    credentials = serializers.DictField(child=serializers.CharField(), write_only=True, required=False)
    regions = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    labels = serializers.DictField(child=serializers.CharField(max_length=200), required=False)
    has_credentials = serializers.BooleanField(read_only=True)
    scan_schedule = serializers.ChoiceField(choices=Schedule.choices, required=False, allow_blank=True)
    via = VisibleAccountField(
        required=False, allow_null=True, help_text="A kubernetes account inside a managed cluster of this cloud account"
    )
    via_cluster = serializers.CharField(
        required=False, allow_blank=True, help_text="With via: the cluster as GET accounts/{id}/clusters/ lists it"
    )

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
            "credentials",
            "has_credentials",
            "via",
            "via_cluster",
            "verified_at",
            "created_at",
        ]
        read_only_fields = ["external_id", "verified_at", "created_at"]
        # uniqueness and formats are checked by posture.inventory.accounts with clear messages
        extra_kwargs = {"name": {"validators": []}, "endpoint_url": {"validators": []}}


class ScanSerializer(serializers.ModelSerializer):
    account = VisibleAccountField()
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
            "baseline_at",
        ]
        read_only_fields = [f for f in fields if f != "account"]
        # One active scan per account is create_scan's rule (a 409 naming the account), not a generic 400.
        validators: list = []


class ClusterSerializer(serializers.Serializer):
    """A managed cluster a cloud account's scans found, and the kubernetes accounts scanning inside it."""

    ref = serializers.CharField(help_text="What via_cluster takes")
    name = serializers.CharField()
    region = serializers.CharField()
    platform = serializers.CharField()
    version = serializers.CharField()
    scanned_as = serializers.ListField(child=serializers.CharField())


class ResourceSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Resource
        fields = [
            "id",
            "account",
            "provider",
            "service",
            "region",
            "type",
            "uid",
            "name",
            "tags",
            "config",
            "config_hash",
            "first_seen",
            "last_seen",
            "gone_at",
        ]


# What a finding's representation reads, as ``values()`` names: lists fetch these columns as plain rows
# (no model instances, ~3x less work per row than three models per finding).
FINDING_COLUMNS = (
    "id",
    "account__name",
    "rule_id",
    "status",
    "severity",
    "message",
    "evidence",
    "resource__uid",
    "resource__name",
    "resource__type",
    "resource__region",
    "resource__service",
    "first_seen",
    "last_seen",
    "status_changed_at",
    "updated_at",
    "change_seq",
    "muted",
    "mute_rule_id",
)


def finding_json(row: dict[str, Any], tz: tzinfo | None = None) -> dict[str, Any]:
    """One finding from its ``FINDING_COLUMNS``, as FindingSerializer declares it (a test holds them equal)."""
    tz = tz or timezone.get_current_timezone()
    rule_id = row["rule_id"]
    rule = RULES.get(rule_id) if rule_id in RULES else None
    return {
        "id": row["id"],
        "account": row["account__name"],
        "rule_id": rule_id,
        "title": rule.title if rule else rule_id,
        "status": row["status"],
        "severity": row["severity"],
        "message": row["message"],
        "evidence": row["evidence"],
        "resource": {
            "uid": row["resource__uid"],
            "name": row["resource__name"],
            "type": row["resource__type"],
            "region": row["resource__region"],
            "service": row["resource__service"],
        },
        "controls": [{"framework": fw, "control": c} for fw, c in catalog().controls_for_rule(rule_id)],
        "first_seen": _iso(row["first_seen"], tz),
        "last_seen": _iso(row["last_seen"], tz),
        "status_changed_at": _iso(row["status_changed_at"], tz),
        "updated_at": _iso(row["updated_at"], tz),
        "change_seq": row["change_seq"],
        "muted": row["muted"],
        "mute_rule": row["mute_rule_id"],
    }


def findings_json(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    tz = timezone.get_current_timezone()
    return [finding_json(row, tz) for row in rows]


class FindingSerializer(serializers.ModelSerializer):
    # The schema of a finding; lists and details are written by finding_json from plain rows.
    account = serializers.SlugRelatedField(slug_field="name", read_only=True)
    resource = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    controls = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "account",
            "rule_id",
            "title",
            "status",
            "severity",
            "message",
            "evidence",
            "resource",
            "controls",
            "first_seen",
            "last_seen",
            "status_changed_at",
            "updated_at",
            "change_seq",
            "muted",
            "mute_rule",
        ]

    def to_representation(self, f: Finding) -> dict[str, Any]:
        return finding_json({column: reduce(getattr, column.split("__"), f) for column in FINDING_COLUMNS})

    def get_resource(self, f: Finding) -> dict:
        r = f.resource
        return {"uid": r.uid, "name": r.name, "type": r.type, "region": r.region, "service": r.service}

    def get_title(self, f: Finding) -> str:
        return RULES.get(f.rule_id).title if f.rule_id in RULES else f.rule_id

    def get_controls(self, f: Finding) -> list[dict[str, str]]:
        return [{"framework": fw, "control": c} for fw, c in catalog().controls_for_rule(f.rule_id)]


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)  # null: a scan

    class Meta:
        model = FindingEvent
        fields = ["id", "finding", "scan", "actor", "kind", "from_status", "to_status", "at", "note"]


class MuteRuleSerializer(serializers.ModelSerializer):
    account = VisibleAccountField(required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = MuteRule
        fields = [
            "id",
            "account",
            "rule_id",
            "resource_pattern",
            "tag_key",
            "tag_value",
            "reason",
            "expires_at",
            "created_by",
            "created_at",
            "revoked_at",
        ]
        read_only_fields = ["created_by", "created_at", "revoked_at"]


class AuditSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditLog
        fields = ["id", "at", "actor_label", "source", "action", "object_type", "object_id", "object_repr", "detail"]


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "hint", "read_only", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["hint", "created_at", "last_used_at", "revoked_at"]
