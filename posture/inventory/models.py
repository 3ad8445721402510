from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from collectors.records import CredentialPolicy, Target
from posture.crypto import decrypt_json, encrypt_json

NAME_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
    "use letters, digits, dot, dash and underscore (starting with a letter or digit)",
)


# Inside the encrypted credentials: the operator gave them (a database write cannot forge it without the key).
OPERATOR_MARK = "__by_operator__"


def credential_policy(by_operator: bool) -> CredentialPolicy:
    """Server files and allow-listed plugins for the operator's credentials only; every server URL checked."""
    from posture.security import check_outbound_url

    return CredentialPolicy(
        server_files=by_operator,
        exec_allowlist=tuple(settings.KUBECONFIG_EXEC_ALLOWLIST) if by_operator else (),
        check_url=check_outbound_url,
    )


class Provider(models.TextChoices):
    AWS = "aws", "Amazon Web Services"
    AZURE = "azure", "Microsoft Azure"
    GCP = "gcp", "Google Cloud"
    KUBERNETES = "kubernetes", "Kubernetes"


class Schedule(models.TextChoices):
    MANUAL = "", "Manual only"
    HOURLY = "hourly", "Every hour"
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Every week"


# Account labels that opt in to collection that needs more than read access (see the README):
# read-node-config reads each kubelet's configz through nodes/proxy.
OPT_IN_LABELS = ("read-node-config",)


class CloudAccount(models.Model):
    """An AWS account, Azure subscription, Google Cloud project or Kubernetes cluster to scan."""

    provider = models.CharField(max_length=32, db_index=True)
    name = models.CharField(max_length=100, unique=True, validators=[NAME_VALIDATOR])
    external_id = models.CharField(
        max_length=200, blank=True, help_text="The provider's own id: account, subscription, project or cluster"
    )
    regions = models.JSONField(default=list, blank=True, help_text="Empty: every enabled region")
    endpoint_url = models.URLField(max_length=500, blank=True)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    team = models.CharField(max_length=100, blank=True, db_index=True)
    labels = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    scan_schedule = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.MANUAL, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    via = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="via_clusters",
        help_text="The cloud account whose identity reaches this managed cluster (its credentials are borrowed "
        "at connect time, never copied)",
    )
    via_cluster = models.CharField(
        max_length=1024,
        blank=True,
        help_text="The managed cluster reached via that account: EKS ARN, AKS resource id, or GKE "
        "projects/P/locations/L/clusters/N",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def credentials(self) -> dict[str, Any]:
        data = decrypt_json(self.credentials_encrypted)
        data.pop(OPERATOR_MARK, None)
        return data

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.set_credentials(value, by_operator=False)

    def set_credentials(self, value: dict[str, Any], *, by_operator: bool) -> None:
        """Store ``value`` encrypted, marked as the operator's when ``by_operator`` (see :meth:`credential_policy`)."""
        value = {k: v for k, v in (value or {}).items() if v not in (None, "") and k != OPERATOR_MARK}
        if value and by_operator:
            value[OPERATOR_MARK] = True
        self.credentials_encrypted = encrypt_json(value) if value else ""

    @property
    def credentials_by_operator(self) -> bool:
        return decrypt_json(self.credentials_encrypted).get(OPERATOR_MARK) is True

    def credential_policy(self) -> CredentialPolicy:
        return credential_policy(self.credentials_by_operator)

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    @property
    def collection_options(self) -> frozenset[str]:
        """The opt-in collection this account asked for: its labels among OPT_IN_LABELS set to ``true``."""
        labels = self.labels if isinstance(self.labels, dict) else {}
        return frozenset(k for k in OPT_IN_LABELS if str(labels.get(k, "")).strip().lower() == "true")

    def target(self) -> Target:
        if self.via_id:
            return self._via_target()
        return Target(
            provider=self.provider,
            name=self.name,
            external_id=self.external_id,
            regions=tuple(self.regions or ()),
            endpoint_url=self.endpoint_url,
            credentials=self.credentials,
            policy=self.credential_policy(),
            options=self.collection_options,
        )

    def _via_target(self) -> Target:
        """A cluster reached with its cloud account's identity: that account's decrypted view, in memory only.

        The cloud's answer may put the API server at a private address (a private cluster's endpoint);
        an endpoint override's answer may not, so then the server goes through the outbound check.
        """
        from collectors import REGISTRY
        from posture.security import check_outbound_url

        cloud = self.via
        if cloud.endpoint_url:  # checked at connect time, as the cloud account's own scans do
            check_outbound_url(cloud.endpoint_url)
        REGISTRY.provider(cloud.provider).check_policy(cloud.credentials, cloud.credential_policy())
        via = {
            "provider": cloud.provider,
            "name": cloud.name,
            "external_id": cloud.external_id,
            "regions": list(cloud.regions or ()),
            "endpoint_url": cloud.endpoint_url,
            "credentials": cloud.credentials,
        }
        return Target(
            provider=self.provider,
            name=self.name,
            external_id=self.external_id,
            endpoint_url=self.endpoint_url,
            credentials={"via": via, "cluster": self.via_cluster},
            policy=CredentialPolicy(server_files=False, check_url=check_outbound_url if cloud.endpoint_url else None),
            options=self.collection_options,
        )


class Resource(models.Model):
    """The current state of one collected object; ``config`` is the API's own JSON."""

    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="resources")
    provider = models.CharField(max_length=32)
    service = models.CharField(max_length=64)
    region = models.CharField(max_length=64)
    type = models.CharField(max_length=100, db_index=True)
    uid = models.CharField(max_length=1024)
    name = models.CharField(max_length=500, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict)
    config_hash = models.CharField(max_length=64)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    gone_at = models.DateTimeField(null=True, blank=True, help_text="When a complete scan no longer found it")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "uid"], name="resource_unique_per_account")]
        indexes = [models.Index(fields=["account", "service", "region"])]

    def __str__(self) -> str:
        return f"{self.type} {self.name or self.uid}"


class ResourceChange(models.Model):
    """A scan saw a resource's configuration differ from the one before (drift), or saw it appear or go.

    Volatile fields (``collectors/volatile.py``) never make a change; ``diff`` is computed at persist time by
    ``posture.scans.diff.diff_configs``."""

    scan = models.ForeignKey("scans.Scan", on_delete=models.CASCADE, related_name="resource_changes")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    new_hash = models.CharField(max_length=64)
    previous_config = models.JSONField(default=dict)  # the full config before; {} when the resource appeared
    kind = models.CharField(max_length=10, default="modified", help_text="modified, recreated, appeared or gone")
    diff = models.JSONField(default=list, blank=True, help_text="[{path, before, after}], secrets redacted")
    fields_changed = models.PositiveIntegerField(default=0, help_text="How many fields differ (diff keeps the first)")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"change of resource {self.resource_id} in scan {self.scan_id}"
