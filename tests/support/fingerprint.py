"""What a refused request must not change: every row a user's action could touch, as plain tuples."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from posture.access.models import ApiToken, AuditLog
from posture.findings.models import Attestation, Finding, MuteRule
from posture.images.models import ImageScanResult
from posture.integrations.models import Delivery, JiraConnection, Ticket, WebhookEndpoint
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan


def fingerprint() -> dict[str, Any]:
    return {
        "accounts": list(CloudAccount.objects.order_by("id").values_list()),
        "scans": list(Scan.objects.order_by("id").values_list("id", "state", "finished_at")),
        "findings": list(Finding.objects.order_by("id").values_list("id", "status", "muted", "mute_rule_id")),
        "mutes": list(MuteRule.objects.order_by("id").values_list()),
        "attestations": list(Attestation.objects.order_by("id").values_list()),
        "tokens": list(ApiToken.objects.order_by("id").values_list("id", "revoked_at", "read_only")),
        "roles": list(User.groups.through.objects.order_by("id").values_list("user_id", "group_id")),
        "users": list(User.objects.order_by("id").values_list("id", "is_active", "password")),
        "webhooks": list(WebhookEndpoint.objects.order_by("id").values_list()),
        "jira": list(JiraConnection.objects.order_by("id").values_list()),
        "deliveries": list(Delivery.objects.order_by("id").values_list("id", "status", "attempts")),
        "tickets": list(Ticket.objects.order_by("id").values_list()),
        "image_scans": list(ImageScanResult.objects.order_by("id").values_list("id", "digest", "source", "updated_at")),
        "audit": AuditLog.objects.count(),
    }
