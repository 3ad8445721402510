from __future__ import annotations

from django.conf import settings
from django.db import models

from posture.inventory.models import CloudAccount


class ScanState(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (ScanState.QUEUED, ScanState.RUNNING)
FINAL_STATES = (ScanState.SUCCEEDED, ScanState.PARTIAL, ScanState.FAILED, ScanState.CANCELLED)


class Scan(models.Model):
    """One collection and evaluation of an account.

    ``errors`` lists what could not be collected, as ``{"service", "region",
    "kind", "error"}``: a partial scan says exactly what is missing.
    ``counts`` holds resources, findings by status, and transitions.
    """

    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="scans")
    state = models.CharField(max_length=10, choices=ScanState.choices, default=ScanState.QUEUED, db_index=True)
    trigger = models.CharField(max_length=10, default="manual")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life from the worker")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True, help_text="Why the scan failed as a whole, if it did")
    baseline_at = models.DateTimeField(
        null=True, blank=True, help_text="When an analyst approved this scan as its account's drift baseline"
    )
    baseline_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    storing_at = models.DateTimeField(
        null=True, blank=True, help_text="When a spread scan's units had all reported and one worker began storing"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(state__in=["queued", "running"]),
                name="one_active_scan_per_account",
            ),
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(baseline_at__isnull=False), name="one_baseline_per_account"
            ),
        ]
        indexes = [
            # Each account's newest finished scan (compliance reads) is one step down this index.
            models.Index(
                fields=["account", "id"],
                condition=models.Q(state__in=["succeeded", "partial"]),
                name="scan_done_by_account",
            )
        ]

    def __str__(self) -> str:
        return f"scan {self.pk} of {self.account_id} ({self.state})"

    @property
    def progress(self) -> int:
        """Percent of the (service, region) units collected."""
        if not self.progress_total:
            return 100 if self.state in FINAL_STATES else 0
        return round(100 * self.progress_done / self.progress_total)

    @property
    def phase(self) -> str:
        """What an active scan is doing, from its state and progress (empty once it finished)."""
        if self.state == ScanState.QUEUED:
            return "waiting for the worker"
        if self.state != ScanState.RUNNING:
            return ""
        if not self.progress_total:
            return "connecting"
        if self.progress_done < self.progress_total:
            return f"collecting {self.progress_done} of {self.progress_total} units"
        return "evaluating and storing"

    @property
    def units_failed(self) -> int:
        """(service, region) units that failed: counted when the scan stored results, else one error each."""
        return int(self.counts.get("units_failed", len(self.errors or ())))

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ContainerState(models.Model):
    """What a scan saw running in a cluster, and how it moved since the account's previous scan.

    ``images``: tag (an image reference without a digest) -> the digests it ran as; ``containers``:
    ``"workload uid|pod|container"`` -> restartCount. Written by :mod:`posture.scans.container_drift` right after
    persistence; ``tag_moves``, ``restarts`` and ``replacements`` compare with the previous row of the account.
    """

    scan = models.OneToOneField(Scan, on_delete=models.CASCADE, related_name="container_state")
    images = models.JSONField(default=dict, blank=True)
    containers = models.JSONField(default=dict, blank=True)
    tag_moves = models.JSONField(default=list, blank=True)
    restarts = models.JSONField(default=list, blank=True)
    replacements = models.JSONField(default=list, blank=True)
    compared_with = models.ForeignKey(Scan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"containers of scan {self.scan_id}"


class UnitState(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


UNIT_REPORTED = (UnitState.DONE, UnitState.FAILED)


class ScanUnit(models.Model):
    """One (service, region) of a scan spread over the workers (:mod:`posture.scans.spread`).

    ``attempt`` counts the times a worker took it (a redelivered task takes it again); only the records staged
    by the attempt that reported count. ``error`` is the unit's ``CollectionError`` as a dict, or None.
    ``heartbeat_at``: when a worker last took, staged a batch of or reported this unit (never the sweep), which
    tells a silent unit and whether the workers are taking work at all (``spread.reap_lost_units``).
    """

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="units")
    service = models.CharField(max_length=100)
    region = models.CharField(max_length=100)
    state = models.CharField(max_length=10, choices=UnitState.choices, default=UnitState.QUEUED)
    attempt = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    records = models.PositiveIntegerField(default=0)
    error = models.JSONField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="Last word from a worker on it: taken, a batch, its report"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scan", "service", "region"], name="one_unit_per_scan")]

    def __str__(self) -> str:
        return f"{self.service}/{self.region} of scan {self.scan_id} ({self.state})"


class StagedRecord(models.Model):
    """A record one unit collected, held until its scan is evaluated and stored, then deleted.

    ``data`` is the record's JSON text (provider, service, region, name, tags, config) exactly as collected:
    text, not ``jsonb``, so the rules later read the keys in the order the API gave them. ``prepared``: what the
    unit worked out for the finishing step (config hash, search label, the rules that read only this record;
    :mod:`posture.scans.prepared`), empty where nothing was.
    """

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(ScanUnit, on_delete=models.CASCADE, related_name="staged")
    attempt = models.PositiveIntegerField()
    type = models.CharField(max_length=200)
    uid = models.CharField(max_length=1024)
    data = models.TextField()
    prepared = models.TextField(blank=True, default="", db_default="")  # a worker of the version before writes none

    class Meta:
        indexes = [models.Index(fields=["scan", "type", "unit", "id"], name="staged_by_scan_type")]

    def __str__(self) -> str:
        return f"{self.uid} of scan {self.scan_id}"
