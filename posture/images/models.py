"""One row per (image digest, scanner): the latest result that scanner gave for that image.

Counts by severity and fixability are denormalized beside the vulnerabilities JSON so that lists filter
and sort without reading the JSON. A result from a cloud scan names its account; an imported report has
none and names who imported it and when.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Source(models.TextChoices):
    ECR_BASIC = "ecr-basic", "ECR basic scanning"
    INSPECTOR = "inspector", "Amazon Inspector"
    DEFENDER = "defender", "Microsoft Defender for Containers"
    ARTIFACT_ANALYSIS = "artifact-analysis", "Google Artifact Analysis"
    TRIVY = "trivy", "Trivy (imported)"
    GRYPE = "grype", "Grype (imported)"


IMPORTED_SOURCES = (Source.TRIVY, Source.GRYPE)


class ImageScanResult(models.Model):
    digest = models.CharField(max_length=100, db_index=True, help_text="sha256:... of the image manifest")
    source = models.CharField(max_length=32, choices=Source.choices)
    registry = models.CharField(max_length=255, blank=True)
    repository = models.CharField(max_length=500, blank=True)
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, default="complete")
    scanned_at = models.DateTimeField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    critical = models.PositiveIntegerField(default=0)
    critical_fixable = models.PositiveIntegerField(default=0)
    high = models.PositiveIntegerField(default=0)
    high_fixable = models.PositiveIntegerField(default=0)
    medium = models.PositiveIntegerField(default=0)
    medium_fixable = models.PositiveIntegerField(default=0)
    low = models.PositiveIntegerField(default=0)
    low_fixable = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)
    unknown_fixable = models.PositiveIntegerField(default=0)
    vulnerabilities = models.JSONField(default=list, blank=True)
    account = models.ForeignKey(
        "inventory.CloudAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="image_scans"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(help_text="When this row was last written (a rescan or a new import)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["digest", "source"], name="image_scan_digest_source")]
        indexes = [models.Index(fields=["critical_fixable", "high_fixable"], name="image_scan_fixable")]
        ordering = ["-critical_fixable", "-high_fixable", "-critical", "-high", "digest", "source"]

    def __str__(self) -> str:
        return f"{self.repository}@{self.digest} ({self.source})"

    @property
    def imported(self) -> bool:
        return self.account_id is None

    @property
    def fixable(self) -> int:
        return sum(getattr(self, f"{s}_fixable") for s in ("critical", "high", "medium", "low", "unknown"))

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """``{"CRITICAL": {"total": n, "fixable": m}, ...}``, as the pages and the API show them."""
        levels = ("critical", "high", "medium", "low", "unknown")
        return {s.upper(): {"total": getattr(self, s), "fixable": getattr(self, f"{s}_fixable")} for s in levels}

    @property
    def total(self) -> int:
        return sum(getattr(self, s) for s in ("critical", "high", "medium", "low", "unknown"))
