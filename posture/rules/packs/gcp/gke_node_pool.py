"""CIS GKE v1.9.0, section 5: what the cluster API says about each node pool."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.helpers import is_default_compute_sa
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, lookup, observed

POOL = "gcp.container.node_pool"
GKE = "CIS GKE v1.9.0"


@rule(
    id="gcp.container.node_pool_not_default_service_account",
    title="GKE nodes do not run as the Compute Engine default service account",
    severity="high",
    category="identity",
    resource_type=POOL,
    rationale="The default service account holds Editor on the project: every pod could use it.",
    remediation="Create node pools with a dedicated, least-privilege service account.",
    references=(GKE + " 5.2.1",),
)
def not_default_sa(resource: ResourceRecord, ctx) -> Verdict:
    account = lookup(resource.config, "config.serviceAccount")
    return check(
        bool(account) and not is_default_compute_sa(account),
        "the nodes use a dedicated service account",
        "the nodes use the Compute Engine default service account",
        observed(resource.config, "config.serviceAccount"),
    )


@rule(
    id="gcp.container.node_pool_gke_metadata_server",
    title="GKE metadata server is enabled on the node pool",
    severity="high",
    category="cluster",
    resource_type=POOL,
    rationale="The GKE metadata server hides the node's credentials and metadata from pods.",
    remediation="Set workloadMetadataConfig.mode to GKE_METADATA (with Workload Identity on the cluster).",
    references=(GKE + " 5.4.1",),
)
def gke_metadata(resource: ResourceRecord, ctx) -> Verdict:
    return check(
        lookup(resource.config, "config.workloadMetadataConfig.mode") == "GKE_METADATA",
        "pods see the GKE metadata server",
        "pods can read the node's metadata and credentials",
        observed(resource.config, "config.workloadMetadataConfig.mode"),
    )


@rule(
    id="gcp.container.node_pool_cos_containerd",
    title="GKE nodes run Container-Optimized OS with containerd",
    severity="low",
    category="cluster",
    resource_type=POOL,
    rationale="Container-Optimized OS is a minimal, hardened, automatically patched node image.",
    remediation="Use the COS_CONTAINERD node image.",
    references=(GKE + " 5.5.1",),
)
def cos_containerd(resource: ResourceRecord, ctx) -> Verdict:
    image = str(lookup(resource.config, "config.imageType") or "")
    return check(
        image.upper() == "COS_CONTAINERD",
        "the nodes run COS_CONTAINERD",
        f"the nodes run {image or 'an unknown image'}",
        observed(resource.config, "config.imageType"),
    )


@rule(
    id="gcp.container.node_pool_auto_repair",
    title="GKE node auto-repair is enabled",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    rationale="Auto-repair replaces unhealthy nodes before they affect workloads.",
    remediation="Enable auto-repair on the node pool.",
    references=(GKE + " 5.5.2",),
)
def auto_repair(resource: ResourceRecord, ctx) -> Verdict:
    return check(
        lookup(resource.config, "management.autoRepair") is True,
        "auto-repair is on",
        "auto-repair is off",
        observed(resource.config, "management.autoRepair"),
    )


@rule(
    id="gcp.container.node_pool_auto_upgrade",
    title="GKE node auto-upgrade is enabled",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    rationale="Auto-upgrade keeps nodes on patched Kubernetes and OS versions.",
    remediation="Enable auto-upgrade on the node pool.",
    references=(GKE + " 5.5.3",),
)
def auto_upgrade(resource: ResourceRecord, ctx) -> Verdict:
    return check(
        lookup(resource.config, "management.autoUpgrade") is True,
        "auto-upgrade is on",
        "auto-upgrade is off",
        observed(resource.config, "management.autoUpgrade"),
    )


@rule(
    id="gcp.container.node_pool_secure_boot",
    title="GKE Shielded nodes boot with Secure Boot",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    rationale="Secure Boot verifies the boot chain so rootkits and bootkits cannot load.",
    remediation="Enable Secure Boot in the node pool's shielded instance config.",
    references=(GKE + " 5.5.7",),
)
def secure_boot(resource: ResourceRecord, ctx) -> Verdict:
    return check(
        lookup(resource.config, "config.shieldedInstanceConfig.enableSecureBoot") is True,
        "Secure Boot is on",
        "Secure Boot is off",
        observed(resource.config, "config.shieldedInstanceConfig.enableSecureBoot"),
    )


@rule(
    id="gcp.container.node_pool_integrity_monitoring",
    title="GKE Shielded nodes have integrity monitoring",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    rationale="Integrity monitoring compares each boot against a known-good baseline.",
    remediation="Enable integrity monitoring in the node pool's shielded instance config.",
    references=(GKE + " 5.5.6",),
)
def integrity_monitoring(resource: ResourceRecord, ctx) -> Verdict:
    return check(
        lookup(resource.config, "config.shieldedInstanceConfig.enableIntegrityMonitoring") is True,
        "integrity monitoring is on",
        "integrity monitoring is off",
        observed(resource.config, "config.shieldedInstanceConfig.enableIntegrityMonitoring"),
    )


@rule(
    id="gcp.container.node_pool_boot_disk_cmek",
    title="GKE node boot disks are encrypted with a customer-managed key",
    severity="low",
    category="encryption",
    resource_type=POOL,
    rationale="A customer-managed key lets you control and revoke access to node boot disks.",
    remediation="Create node pools with bootDiskKmsKey set to a Cloud KMS key.",
    references=(GKE + " 5.9.2",),
)
def boot_disk_cmek(resource: ResourceRecord, ctx) -> Verdict:
    return check(
        bool(lookup(resource.config, "config.bootDiskKmsKey")),
        "boot disks use a customer-managed key",
        "boot disks use a Google-managed key",
        observed(resource.config, "config.bootDiskKmsKey"),
    )
