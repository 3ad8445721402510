"""Dataproc rules: clusters' disks are encrypted with customer-managed keys."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, observed

CLUSTER = "gcp.dataproc.cluster"


@rule(
    id="gcp.dataproc.cluster_cmek",
    title="Dataproc clusters are encrypted with a customer-managed key",
    severity="low",
    category="encryption",
    resource_type=CLUSTER,
    rationale="A customer-managed Cloud KMS key lets the organization control, rotate and revoke access to the "
    "cluster's disks and data.",
    remediation="Create the cluster with a Cloud KMS key (gcloud dataproc clusters create --gce-pd-kms-key KEY, "
    "or --kms-key) and move the work over.",
)
def cluster_cmek(resource: ResourceRecord, ctx) -> Verdict:
    encryption = (resource.config.get("config") or {}).get("encryptionConfig") or {}
    key = encryption.get("gcePdKmsKeyName") or encryption.get("kmsKey")
    return check(
        bool(key),
        f"the cluster is encrypted with {key}",
        "the cluster is encrypted with Google-managed keys",
        observed(resource.config, "config.encryptionConfig.gcePdKmsKeyName"),
        observed(resource.config, "config.encryptionConfig.kmsKey"),
    )
