"""Webhook endpoints, Jira connections, the tickets they opened, and the delivery log (also the outbox)."""

from __future__ import annotations

import secrets
import uuid

from django.db import models

from posture.crypto import decrypt_json, encrypt_json
from posture.findings.models import Finding
from posture.inventory.models import NAME_VALIDATOR, CloudAccount


class Event(models.TextChoices):
    NEW_FAILURE = "finding.new_failure", "New failure"
    REGRESSION = "finding.regression", "Regression (failing again)"
    RESOLVED = "finding.resolved", "Resolved"
    MUTED = "finding.muted", "Muted"
    UNMUTED = "finding.unmuted", "Unmuted"
    SCAN_FINISHED = "scan.finished", "Scan finished"
    SCAN_FAILED = "scan.failed", "Scan failed"
    TICKET_REQUESTED = "ticket.requested", "Ticket requested by hand"
    ATTESTATION_EXPIRED = "attestation.expired", "Attestation expired (the control needs attestation again)"
    RESOURCE_DRIFTED = "resource.drifted", "Resource drifted (its configuration changed since the last scan)"
    PATH_OPENED = "path.opened", "Exposure path opened (internet to a foothold to a target)"
    PATH_CLOSED = "path.closed", "Exposure path closed (a hop of it was fixed)"
    TEST = "test", "Test delivery"


WEBHOOK_EVENTS = (
    Event.NEW_FAILURE,
    Event.REGRESSION,
    Event.RESOLVED,
    Event.SCAN_FINISHED,
    Event.SCAN_FAILED,
    Event.ATTESTATION_EXPIRED,
    Event.RESOURCE_DRIFTED,
    Event.PATH_OPENED,
    Event.PATH_CLOSED,
)


class Target(models.Model):
    """What webhook endpoints and Jira connections share: a name, filters and the delivery lease."""

    name = models.CharField(max_length=100, unique=True, validators=[NAME_VALIDATOR])
    enabled = models.BooleanField(default=True)
    severities = models.JSONField(default=list, blank=True, help_text="Empty: every severity")
    frameworks = models.JSONField(default=list, blank=True, help_text="Framework ids; empty: any rule")
    accounts = models.ManyToManyField(CloudAccount, blank=True, related_name="+", help_text="Empty: every account")
    start_event_id = models.BigIntegerField(default=0, help_text="Finding events up to this id predate the target")
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookEndpoint(Target):
    url = models.URLField(max_length=1000)
    secret_encrypted = models.TextField(editable=False)
    events = models.JSONField(default=list, help_text="Which events to send (see WEBHOOK_EVENTS)")
    resource_types = models.JSONField(
        default=list, blank=True, help_text="resource.drifted only for these resource types; empty: every type"
    )
    namespaces = models.JSONField(
        default=list,
        blank=True,
        help_text="resource.drifted only for Kubernetes objects in these namespaces; empty: any",
    )

    @property
    def secret(self) -> str:
        return decrypt_json(self.secret_encrypted).get("secret", "")

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encrypt_json({"secret": value})


class Flavor(models.TextChoices):
    CLOUD = "cloud", "Jira Cloud (REST v3, email + API token)"
    DATACENTER = "datacenter", "Jira Data Center (REST v2, personal access token)"


class Grouping(models.TextChoices):
    FINDING = "finding", "One issue per finding"
    CONTROL = "control", "One issue per control x account, listing the resources"


DEFAULT_PRIORITIES = {"critical": "Highest", "high": "High", "medium": "Medium", "low": "Low", "info": "Lowest"}


def default_priorities() -> dict[str, str]:
    return dict(DEFAULT_PRIORITIES)


def new_label_namespace() -> str:
    return secrets.token_hex(4)


class JiraConnection(Target):
    flavor = models.CharField(max_length=10, choices=Flavor.choices)
    base_url = models.URLField(max_length=500)
    email = models.CharField(max_length=254, blank=True, help_text="Jira Cloud: the account the API token belongs to")
    token_encrypted = models.TextField(editable=False)
    project_key = models.CharField(max_length=20)
    issue_type = models.CharField(max_length=60, default="Bug")
    priorities = models.JSONField(
        default=default_priorities, blank=True, help_text="severity -> Jira priority name; empty: no priority"
    )
    labels = models.JSONField(default=list, blank=True)
    grouping = models.CharField(max_length=10, choices=Grouping.choices, default=Grouping.FINDING)
    group_framework = models.CharField(max_length=80, blank=True, help_text="Whose controls group issues")
    custom_fields = models.JSONField(default=dict, blank=True, help_text="field id -> value ({placeholders} allowed)")
    auto_severities = models.JSONField(
        default=list, blank=True, help_text="Open an issue for every new failure of these severities"
    )
    done_transition = models.CharField(max_length=60, blank=True, help_text="Empty: any transition into Done")
    reopen_transition = models.CharField(max_length=60, blank=True, help_text="Empty: any transition out of Done")
    label_namespace = models.CharField(max_length=16, default=new_label_namespace, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True)

    @property
    def token(self) -> str:
        return decrypt_json(self.token_encrypted).get("token", "")

    @token.setter
    def token(self, value: str) -> None:
        self.token_encrypted = encrypt_json({"token": value})


class Ticket(models.Model):
    """A Jira issue Posture opened, and the findings it tracks (one, or a control x account group)."""

    connection = models.ForeignKey(JiraConnection, on_delete=models.CASCADE, related_name="tickets")
    group_key = models.CharField(max_length=300, help_text="finding:<id> or control:<framework>:<control>:<account>")
    key = models.CharField(max_length=40)
    issue_id = models.CharField(max_length=40, blank=True)
    label = models.CharField(max_length=80, help_text="The unique label that finds the issue again")
    done = models.BooleanField(default=False)
    findings = models.ManyToManyField(Finding, related_name="tickets", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "group_key"], name="ticket_unique_per_group"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def url(self) -> str:
        return f"{self.connection.base_url.rstrip('/')}/browse/{self.key}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending (or waiting for a retry)"
    SUCCEEDED = "succeeded"
    FAILED = "failed", "Failed (gave up or refused)"
    SKIPPED = "skipped", "Nothing to do"


class Delivery(models.Model):
    """One event for one webhook endpoint or Jira connection: the outbox and its log."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    jira = models.ForeignKey(JiraConnection, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=30, choices=Event.choices, db_index=True)
    dedupe_key = models.CharField(max_length=100)
    finding = models.ForeignKey(Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    scan = models.ForeignKey("scans.Scan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    result = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "dedupe_key"],
                condition=models.Q(webhook__isnull=False),
                name="delivery_once_webhook",
            ),
            models.UniqueConstraint(
                fields=["jira", "dedupe_key"], condition=models.Q(jira__isnull=False), name="delivery_once_jira"
            ),
            models.CheckConstraint(
                condition=models.Q(webhook__isnull=True) ^ models.Q(jira__isnull=True), name="delivery_one_target"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} -> {self.target} ({self.status})"

    @property
    def target(self) -> Target | None:
        return self.webhook or self.jira


class DispatchCursor(models.Model):
    """One row: the last FindingEvent id turned into deliveries."""

    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.last_event_id)
