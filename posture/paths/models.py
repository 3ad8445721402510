"""The exposure graph of the last build (nodes and edges keyed by resource) and the paths found in it, kept
across builds: the same path (same hops from the foothold to the target) is the same row, opened when first
found, closed when a build no longer finds it, opened again if it comes back."""

from __future__ import annotations

from django.db import models

from posture.inventory.models import CloudAccount, Resource
from posture.scans.models import Scan


class PathNode(models.Model):
    key = models.CharField(max_length=200, unique=True, help_text="r<resource id>, or a virtual key (internet)")
    kind = models.CharField(max_length=20, help_text="internet, entry, route, workload, service_account, ...")
    target_kind = models.CharField(max_length=10, blank=True, help_text="admin, secrets or data (targets)")
    label = models.CharField(max_length=500)
    account = models.ForeignKey(CloudAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.kind} {self.label}"


class PathEdge(models.Model):
    source = models.CharField(max_length=200, db_index=True)
    target = models.CharField(max_length=200)
    kind = models.CharField(max_length=40)
    detail = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.source} -{self.kind}-> {self.target}"


class ExposurePath(models.Model):
    """A way in: internet -> entry -> foothold -> identity -> target, with the findings on each hop."""

    key = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=1000)
    target_kind = models.CharField(max_length=10, db_index=True, help_text="admin, secrets or data")
    rank = models.PositiveIntegerField(db_index=True, help_text="Blast radius: higher is worse")
    reach = models.PositiveIntegerField(default=1, help_text="How many targets the foothold reaches")
    entries = models.PositiveIntegerField(default=1, help_text="How many entries reach the foothold")
    hops = models.JSONField(default=list, help_text="[{key, kind, label, resource, account, findings, edge}]")
    accounts = models.ManyToManyField(CloudAccount, related_name="exposure_paths")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_seen = models.DateTimeField()
    scan = models.ForeignKey(
        Scan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The build's scan"
    )

    class Meta:
        ordering = ["-rank", "title", "id"]
        indexes = [models.Index(fields=["closed_at", "rank"], name="path_open_rank")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class PathBuild(models.Model):
    """The one row (pk 1) through which finished scans ask for a rebuild and builds say what they covered.

    ``requests`` counts the asks; a build notes the count it started from (``built``), so a build queued behind
    one that already covered its asks does nothing. ``queued``: a rebuild task is waiting (no second is sent).
    """

    requests = models.PositiveBigIntegerField(default=0)
    built = models.PositiveBigIntegerField(default=0, help_text="requests counted when the last build started")
    queued = models.BooleanField(default=False)
    queued_at = models.DateTimeField(null=True, blank=True)
    requested_scan = models.ForeignKey(
        Scan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The last scan that asked"
    )
    built_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True, help_text="How long the last build took")

    def __str__(self) -> str:
        return f"paths built at {self.built_at} ({self.built}/{self.requests} asks)"

    @property
    def pending(self) -> bool:
        """A scan finished after the last build started: a rebuild is on its way."""
        return self.requests > self.built
