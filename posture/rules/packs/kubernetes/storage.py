"""Storage rules: the cloud disks a StorageClass provisions are encrypted with the customer's own key."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check

# The block-disk provisioners of each cloud (CSI driver and the in-tree name it replaced) and the StorageClass
# parameter that names the customer-managed key each disk is encrypted with.
KEY_PARAMETER = {
    "pd.csi.storage.gke.io": "disk-encryption-kms-key",
    "kubernetes.io/gce-pd": "disk-encryption-kms-key",
    "ebs.csi.aws.com": "kmsKeyId",
    "kubernetes.io/aws-ebs": "kmsKeyId",
    "disk.csi.azure.com": "diskEncryptionSetID",
    "kubernetes.io/azure-disk": "diskEncryptionSetID",
}
EBS = {"ebs.csi.aws.com", "kubernetes.io/aws-ebs"}


@rule(
    id="kubernetes.storage.disks_use_customer_managed_key",
    title="StorageClass encrypts its cloud disks with a customer-managed key",
    severity="low",
    category="encryption",
    resource_type="kubernetes.storage.storageclass",
    rationale="Without a key of its own, every persistent volume the class provisions is encrypted with the "
    "cloud provider's default key: nobody can revoke access to the data, rotate the key on their schedule, "
    "or see its use in the key service's audit log.",
    remediation="Create a StorageClass naming a key (GKE: disk-encryption-kms-key; EKS: encrypted and "
    "kmsKeyId; AKS: diskEncryptionSetID), make it the default class, and move the volumes to it.",
    references=("https://cloud.google.com/kubernetes-engine/docs/how-to/using-cmek",),
)
def disks_use_customer_managed_key(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    provisioner = str(resource.config.get("provisioner") or "")
    parameter = KEY_PARAMETER.get(provisioner)
    if parameter is None:
        return None  # file shares, local volumes, other drivers: no disk key of this kind to name
    parameters = resource.config.get("parameters") or {}
    parameters = parameters if isinstance(parameters, dict) else {}
    key = parameters.get(parameter)
    # the EBS driver uses kmsKeyId only for a class that also asks for encryption
    ignored = provisioner in EBS and str(parameters.get("encrypted", "")).lower() != "true"
    return check(
        bool(str(key or "").strip()) and not ignored,
        f"{provisioner} disks are encrypted with {key}",
        f"{provisioner} disks are not encrypted with a key of the customer's"
        + (' (kmsKeyId without encrypted: "true" is ignored)' if key and ignored else f" (no {parameter})"),
        Evidence("provisioner", provisioner),
        Evidence(f"parameters.{parameter}", key),
        *([Evidence("parameters.encrypted", parameters.get("encrypted"))] if provisioner in EBS else []),
    )
