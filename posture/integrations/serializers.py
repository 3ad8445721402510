"""API shapes. Secrets (webhook secret, Jira token) are write-only: a response says only whether one is set."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from posture.access.scoping import scope
from posture.findings.models import SEVERITY_CHOICES, Finding
from posture.integrations.events import latest_event_id, scope_refusal
from posture.integrations.models import (
    WEBHOOK_EVENTS,
    Delivery,
    Flavor,
    Grouping,
    JiraConnection,
    Target,
    Ticket,
    WebhookEndpoint,
)
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import FrameworkError, catalog
from posture.security import UnsafeURL, check_outbound_url

SEVERITIES = [value for value, _ in SEVERITY_CHOICES]
FIELD_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,60}$")
PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")
RESOURCE_TYPE = re.compile(
    r"^[a-z0-9]+(\.[A-Za-z0-9_-]+)+$"
)  # provider.service.kind, e.g. kubernetes.workloads.workload
NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # a Kubernetes namespace name (RFC 1123 label)


@extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/SeverityEnum"}})
class SeverityList(serializers.ListField):
    """Severities; in the schema, the same enum as a finding's severity."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.ChoiceField(choices=SEVERITIES), required=False, **kwargs)


def check_url(value: str) -> str:
    """https, and not into internal networks; http and internal networks only where POSTURE_ALLOWED_NETWORKS says."""
    if not value.lower().startswith(("https://", "http://")):
        raise serializers.ValidationError("use an http:// or https:// URL")
    try:
        check_outbound_url(value, carries_secrets=True)
    except UnsafeURL as exc:
        raise serializers.ValidationError(str(exc)) from None
    return value


def check_frameworks(value: list[str]) -> list[str]:
    for fw in value:
        try:
            catalog().get(fw)
        except FrameworkError as exc:
            raise serializers.ValidationError(str(exc)) from None
    return value


class TargetSerializer(serializers.ModelSerializer):
    severities = SeverityList()
    frameworks = serializers.ListField(child=serializers.CharField(max_length=80), required=False)
    accounts = serializers.SlugRelatedField(
        slug_field="name", queryset=CloudAccount.objects.all(), many=True, required=False
    )
    secret_fields: tuple[str, ...] = ()

    common = ["id", "name", "enabled", "severities", "frameworks", "accounts", "last_error", "created_at", "updated_at"]

    def validate_frameworks(self, value: list[str]) -> list[str]:
        return check_frameworks(value)

    def create(self, validated: dict[str, Any]) -> Target:
        accounts = validated.pop("accounts", [])
        secrets = {f: validated.pop(f) for f in self.secret_fields if f in validated}
        target = self.Meta.model(start_event_id=latest_event_id(), **validated)
        for name, value in secrets.items():
            setattr(target, name, value)
        target.save()
        target.accounts.set(accounts)
        return target

    def update(self, target: Target, validated: dict[str, Any]) -> Target:
        accounts = validated.pop("accounts", None)
        for name, value in validated.items():
            setattr(target, name, value)
        target.save()
        if accounts is not None:
            target.accounts.set(accounts)
        return target


class WebhookSerializer(TargetSerializer):
    secret = serializers.CharField(write_only=True, min_length=16, max_length=500, trim_whitespace=False)
    has_secret = serializers.SerializerMethodField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(WEBHOOK_EVENTS)), min_length=1)
    resource_types = serializers.ListField(
        child=serializers.RegexField(RESOURCE_TYPE, max_length=100), required=False, max_length=50
    )
    namespaces = serializers.ListField(
        child=serializers.RegexField(NAMESPACE, max_length=63), required=False, max_length=50
    )
    secret_fields = ("secret",)

    class Meta:
        model = WebhookEndpoint
        fields = [*TargetSerializer.common, "url", "events", "resource_types", "namespaces", "secret", "has_secret"]
        read_only_fields = ["last_error", "created_at", "updated_at"]

    def get_has_secret(self, obj: WebhookEndpoint) -> bool:
        return bool(obj.secret_encrypted)

    def validate_url(self, value: str) -> str:
        return check_url(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not attrs.get("secret"):
            raise serializers.ValidationError({"secret": ["a shared secret signs every delivery (16+ characters)"]})
        return attrs


class JiraSerializer(TargetSerializer):
    token = serializers.CharField(write_only=True, max_length=2000)
    has_token = serializers.SerializerMethodField()
    flavor = serializers.ChoiceField(choices=Flavor.choices)
    grouping = serializers.ChoiceField(choices=Grouping.choices, required=False)
    priorities = serializers.DictField(child=serializers.CharField(max_length=60, allow_blank=True), required=False)
    labels = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    custom_fields = serializers.DictField(child=serializers.JSONField(), required=False)
    auto_severities = SeverityList()
    secret_fields = ("token",)

    class Meta:
        model = JiraConnection
        fields = [
            *TargetSerializer.common,
            "flavor",
            "base_url",
            "email",
            "token",
            "has_token",
            "project_key",
            "issue_type",
            "priorities",
            "labels",
            "grouping",
            "group_framework",
            "custom_fields",
            "auto_severities",
            "done_transition",
            "reopen_transition",
            "verified_at",
        ]
        read_only_fields = ["last_error", "created_at", "updated_at", "verified_at"]

    def get_has_token(self, obj: JiraConnection) -> bool:
        return bool(obj.token_encrypted)

    def validate_base_url(self, value: str) -> str:
        return check_url(value).rstrip("/")

    def validate_project_key(self, value: str) -> str:
        if not PROJECT_KEY.match(value):
            raise serializers.ValidationError("a Jira project key: capital letters, digits, underscore (e.g. SEC)")
        return value

    def validate_priorities(self, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SEVERITIES))
        if unknown:
            raise serializers.ValidationError(f"not a severity: {', '.join(unknown)} (use {', '.join(SEVERITIES)})")
        return {k: v for k, v in value.items() if v}

    def validate_labels(self, value: list[str]) -> list[str]:
        if any(not v or any(c.isspace() for c in v) for v in value):
            raise serializers.ValidationError("Jira labels cannot be empty or contain spaces")
        return value

    def validate_custom_fields(self, value: dict[str, Any]) -> dict[str, Any]:
        bad = [k for k in value if not FIELD_ID.match(k)]
        if bad:
            raise serializers.ValidationError(f"not a Jira field id: {', '.join(bad)} (e.g. customfield_10050)")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        merged = {**(self.to_internal_flat(self.instance) if self.instance else {}), **attrs}
        errors: dict[str, list[str]] = {}
        if self.instance is None and not attrs.get("token"):
            errors["token"] = ["the API token (Cloud) or personal access token (Data Center)"]
        if merged.get("flavor") == Flavor.CLOUD and not merged.get("email"):
            errors["email"] = ["Jira Cloud signs in with the email of the API token's account"]
        if merged.get("grouping") == Grouping.CONTROL:
            fw = merged.get("group_framework") or ""
            if not fw:
                errors["group_framework"] = ["grouping by control needs the framework whose controls group issues"]
            else:
                try:
                    check_frameworks([fw])
                except serializers.ValidationError as exc:
                    errors["group_framework"] = list(exc.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    @staticmethod
    def to_internal_flat(conn: JiraConnection) -> dict[str, Any]:
        return {
            "flavor": conn.flavor,
            "email": conn.email,
            "grouping": conn.grouping,
            "group_framework": conn.group_framework,
        }


class DeliverySerializer(serializers.ModelSerializer):
    target = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField()
    # Declared, not derived: a model integer's range depends on the database, and the schema must not.
    attempts = serializers.IntegerField(read_only=True)
    response_code = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "uid",
            "kind",
            "target",
            "webhook",
            "jira",
            "event",
            "finding",
            "scan",
            "status",
            "attempts",
            "response_code",
            "result",
            "error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "payload",
        ]

    def get_target(self, d: Delivery) -> str:
        return d.target.name if d.target else ""

    def get_kind(self, d: Delivery) -> str:
        return "webhook" if d.webhook_id else "jira"


class TicketSerializer(serializers.ModelSerializer):
    connection = serializers.SlugRelatedField(slug_field="name", read_only=True)
    url = serializers.CharField(read_only=True)

    class Meta:
        model = Ticket
        fields = ["id", "connection", "key", "url", "done", "group_key", "findings", "created_at", "updated_at"]
        read_only_fields = fields


class VisibleFindingField(serializers.PrimaryKeyRelatedField):
    """A finding of an account the requesting user may see; another team's is as missing as a deleted one."""

    def get_queryset(self):
        request = self.context.get("request")
        return scope(Finding.objects.all(), request.user) if request else Finding.objects.none()


class TicketRequestSerializer(serializers.Serializer):
    """A ticket by hand: a finding the user may see, within the connection's accounts, severities and frameworks."""

    connection = serializers.SlugRelatedField(slug_field="name", queryset=JiraConnection.objects.filter(enabled=True))
    finding = VisibleFindingField(queryset=Finding.objects.all())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refusal = scope_refusal(attrs["connection"], attrs["finding"])
        if refusal:
            raise serializers.ValidationError({"finding": [refusal]})
        return attrs
