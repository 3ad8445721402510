from __future__ import annotations

from django.conf import settings
from django.db import models

from posture.inventory.models import CloudAccount, Resource
from posture.rules.verdicts import SEVERITY_ORDER, Severity, Status

STATUS_CHOICES = [(s.value, s.value) for s in Status]
SEVERITY_CHOICES = [(s.value, s.value) for s in Severity]


def severity_rank() -> models.Case:
    """Severity as a number, most severe first (critical 0 ... info 4, unknown 9).

    Lists sort by it, and ``finding_sev_first_seen_id`` indexes exactly this expression.
    """
    return models.Case(
        *[models.When(severity=str(s), then=models.Value(n)) for s, n in SEVERITY_ORDER.items()],
        default=models.Value(9),
        output_field=models.IntegerField(),
    )


class EventKind(models.TextChoices):
    OPENED = "opened", "Opened (first seen failing)"
    RESOLVED = "resolved", "Resolved (failing to passing)"
    REOPENED = "reopened", "Reopened (failing again)"
    CHANGED = "changed", "Status changed (error or manual)"
    MUTED = "muted"
    UNMUTED = "unmuted"


class Finding(models.Model):
    """A rule's verdict on one resource, kept across scans."""

    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="findings")
    rule_id = models.CharField(max_length=150, db_index=True)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="findings")
    resource_uid = models.CharField(max_length=1024)
    status = models.CharField(max_length=6, choices=STATUS_CHOICES, db_index=True)
    severity = models.CharField(max_length=8, choices=SEVERITY_CHOICES, db_index=True)
    message = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True, help_text='[{"path": ..., "value": ...}]')
    first_seen = models.DateTimeField(db_index=True)  # "oldest first" and first-seen ranges
    last_seen = models.DateTimeField(db_index=True)
    status_changed_at = models.DateTimeField()
    muted = models.BooleanField(default=False, db_index=True)
    mute_rule = models.ForeignKey("MuteRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="findings")
    updated_at = models.DateTimeField(db_index=True, help_text="Last change of status, content or mute")
    change_seq = models.BigIntegerField(
        db_index=True, default=0, help_text="Position in the change feed: grows with every change, never reused"
    )
    search_text = models.TextField(
        blank=True,
        default="",
        editable=False,
        help_text="Rule id and title, resource uid, name and images, message, evidence values; lowercased",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "rule_id", "resource_uid"], name="finding_unique_per_rule")
        ]
        # Lists page newest first (id descending) within the common filters: the index ends in id.
        indexes = [
            models.Index(fields=["account", "status", "id"], name="finding_account_status_id"),
            models.Index(fields=["rule_id", "status", "id"], name="finding_rule_status_id"),
            # The findings page's default order: most severe first, then newest (first seen), then id.
            models.Index(
                severity_rank(),
                models.F("first_seen").desc(),
                models.F("id").desc(),
                name="finding_sev_first_seen_id",
            ),
            # Open findings (failing, not muted) by account and severity: the overview counts them.
            models.Index(
                fields=["account", "severity"],
                condition=models.Q(status="FAIL", muted=False),
                name="finding_open_by_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.resource_uid}: {self.status}"


class MuteRule(models.Model):
    """Findings matching every given criterion are muted: visible, but out of the score."""

    account = models.ForeignKey(CloudAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="mutes")
    rule_id = models.CharField(max_length=150, blank=True)
    resource_pattern = models.CharField(max_length=1024, blank=True, help_text="Glob over the resource uid (* and ?)")
    tag_key = models.CharField(max_length=128, blank=True)
    tag_value = models.CharField(max_length=256, blank=True, help_text="Empty: any value of the tag")
    reason = models.TextField()
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        parts = [p for p in (self.rule_id, self.resource_pattern, self.tag_key) if p]
        return f"mute {' '.join(parts) or 'all'}: {self.reason[:40]}"


class ChangeCounter(models.Model):
    """One row: the last ``Finding.change_seq`` handed out. Locked until the writer commits."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


class FindingEvent(models.Model):
    """A status transition of a finding, with the scan (or person) that caused it."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="events")
    scan = models.ForeignKey("scans.Scan", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=10, choices=EventKind.choices, db_index=True)
    from_status = models.CharField(max_length=6, blank=True)
    to_status = models.CharField(max_length=6, blank=True)
    at = models.DateTimeField(db_index=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status}->{self.to_status} at {self.at:%Y-%m-%d %H:%M}"


class ControlStatus(models.TextChoices):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    MANUAL = "manual", "Needs attestation (no verdict decided it)"
    NOT_EVALUATED = "not_evaluated", "Its rules found nothing to evaluate"
    OUT_OF_SCOPE = "out_of_scope"


class ComplianceSnapshot(models.Model):
    """Per scan x framework x control: resource counts and the control's status."""

    scan = models.ForeignKey("scans.Scan", on_delete=models.CASCADE, related_name="snapshots")
    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField(db_index=True)
    framework_id = models.CharField(max_length=80)
    control_id = models.CharField(max_length=40)
    automated = models.BooleanField()
    status = models.CharField(max_length=14, choices=ControlStatus.choices)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errored = models.PositiveIntegerField(default=0)
    manual = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scan", "framework_id", "control_id"], name="snapshot_unique_per_control")
        ]
        indexes = [models.Index(fields=["account", "framework_id", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.framework_id} {self.control_id}: {self.status}"


class ComplianceScore(models.Model):
    """Per scan x framework: the totals trends are drawn from (a handful of rows per scan)."""

    scan = models.ForeignKey("scans.Scan", on_delete=models.CASCADE, related_name="scores")
    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="scores")
    taken_at = models.DateTimeField()
    framework_id = models.CharField(max_length=80)
    controls_passed = models.PositiveIntegerField(default=0)
    controls_failed = models.PositiveIntegerField(default=0)
    resources_passed = models.PositiveIntegerField(
        default=0, help_text="Distinct resources with verdicts, none failing"
    )
    resources_failed = models.PositiveIntegerField(default=0, help_text="Distinct resources failing any control")
    passed_controls = models.JSONField(default=list, blank=True, help_text="Control ids the scan's verdicts passed")
    failed_controls = models.JSONField(default=list, blank=True, help_text="Control ids the scan's verdicts failed")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scan", "framework_id"], name="score_unique_per_framework")]
        indexes = [models.Index(fields=["framework_id", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.framework_id} {self.controls_passed}/{self.controls_passed + self.controls_failed}"


class AttestationResult(models.TextChoices):
    PASS = "pass"
    FAIL = "fail"


class Attestation(models.Model):
    """A person's word on a control no rule decides: pass or fail, for an account, a team or everything.

    Counted in the score while active (created, not yet expired, not revoked); see ``posture.findings.scoring``.
    """

    framework_id = models.CharField(max_length=80)
    control_id = models.CharField(max_length=40)
    account = models.ForeignKey(
        CloudAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="attestations"
    )
    team = models.CharField(max_length=100, blank=True, help_text="With no account: every account of the team")
    result = models.CharField(max_length=4, choices=AttestationResult.choices)
    note = models.TextField()
    evidence_url = models.URLField(max_length=1000, blank=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expiry_announced_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["framework_id", "control_id"])]

    def __str__(self) -> str:
        return f"{self.framework_id} {self.control_id} attested {self.result} for {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.account_id:
            return f"account {self.account.name}"
        return f"team {self.team}" if self.team else "every account"
