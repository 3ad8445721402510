"""GKE node pool rules: what the cluster API says about each node pool, and what the project's IAM policy lets
its service account do with the image registries."""

from __future__ import annotations

from collections.abc import Callable

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.gcp.helpers import bindings, is_default_compute_sa, same_project
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Evidence, Verdict, check, observed

POOL = "gcp.container.node_pool"


field_rule(
    id="gcp.container.node_pool_not_default_service_account",
    title="GKE nodes do not run as the Compute Engine default service account",
    severity="high",
    category="identity",
    resource_type=POOL,
    path="config.serviceAccount",
    expect=lambda account: bool(account) and not is_default_compute_sa(account),
    ok="the nodes use a dedicated service account",
    bad="the nodes use the Compute Engine default service account",
    rationale="The default service account holds Editor on the project: every pod could use it.",
    remediation="Create node pools with a dedicated, least-privilege service account.",
)


field_rule(
    id="gcp.container.node_pool_gke_metadata_server",
    title="GKE metadata server is enabled on the node pool",
    severity="high",
    category="cluster",
    resource_type=POOL,
    path="config.workloadMetadataConfig.mode",
    expect="GKE_METADATA",
    ok="pods see the GKE metadata server",
    bad="pods can read the node's metadata and credentials",
    rationale="The GKE metadata server hides the node's credentials and metadata from pods.",
    remediation="Set workloadMetadataConfig.mode to GKE_METADATA (with Workload Identity on the cluster).",
)


field_rule(
    id="gcp.container.node_pool_cos_containerd",
    title="GKE nodes run Container-Optimized OS with containerd",
    severity="low",
    category="cluster",
    resource_type=POOL,
    path="config.imageType",
    expect=lambda image: str(image or "").upper() == "COS_CONTAINERD",
    ok="the nodes run COS_CONTAINERD",
    bad=lambda image: f"the nodes run {image or 'an unknown image'}",
    rationale="Container-Optimized OS is a minimal, hardened, automatically patched node image.",
    remediation="Use the COS_CONTAINERD node image.",
)


field_rule(
    id="gcp.container.node_pool_auto_repair",
    title="GKE node auto-repair is enabled",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    path="management.autoRepair",
    expect=True,
    ok="auto-repair is on",
    bad="auto-repair is off",
    rationale="Auto-repair replaces unhealthy nodes before they affect workloads.",
    remediation="Enable auto-repair on the node pool.",
)


field_rule(
    id="gcp.container.node_pool_auto_upgrade",
    title="GKE node auto-upgrade is enabled",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    path="management.autoUpgrade",
    expect=True,
    ok="auto-upgrade is on",
    bad="auto-upgrade is off",
    rationale="Auto-upgrade keeps nodes on patched Kubernetes and OS versions.",
    remediation="Enable auto-upgrade on the node pool.",
)


field_rule(
    id="gcp.container.node_pool_secure_boot",
    title="GKE Shielded nodes boot with Secure Boot",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    path="config.shieldedInstanceConfig.enableSecureBoot",
    expect=True,
    ok="Secure Boot is on",
    bad="Secure Boot is off",
    rationale="Secure Boot verifies the boot chain so rootkits and bootkits cannot load.",
    remediation="Enable Secure Boot in the node pool's shielded instance config.",
)


field_rule(
    id="gcp.container.node_pool_integrity_monitoring",
    title="GKE Shielded nodes have integrity monitoring",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    path="config.shieldedInstanceConfig.enableIntegrityMonitoring",
    expect=True,
    ok="integrity monitoring is on",
    bad="integrity monitoring is off",
    rationale="Integrity monitoring compares each boot against a known-good baseline.",
    remediation="Enable integrity monitoring in the node pool's shielded instance config.",
)


field_rule(
    id="gcp.container.node_pool_boot_disk_cmek",
    title="GKE node boot disks are encrypted with a customer-managed key",
    severity="low",
    category="encryption",
    resource_type=POOL,
    path="config.bootDiskKmsKey",
    expect=bool,
    ok="boot disks use a customer-managed key",
    bad="boot disks use a Google-managed key",
    rationale="A customer-managed key lets you control and revoke access to node boot disks.",
    remediation="Create node pools with bootDiskKmsKey set to a Cloud KMS key.",
)


field_rule(
    id="gcp.container.node_pool_kubelet_readonly_port_disabled",
    title="GKE nodes have the kubelet's insecure read-only port turned off",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    path="config.kubeletConfig.insecureKubeletReadonlyPortEnabled",
    expect=False,
    ok="the read-only port (10255) is off",
    bad=lambda v: (
        "the read-only port (10255) is on"
        if v
        else "the read-only port is not turned off: the GKE version's default applies"
    ),
    rationale="The kubelet's read-only port serves pod and node data with no authentication; GKE keeps it open "
    "unless the node pool's kubelet configuration turns it off (unset, the version's default applies).",
    remediation="gcloud container node-pools update POOL --cluster CLUSTER --no-enable-insecure-kubelet-readonly-port",
    references=("https://cloud.google.com/kubernetes-engine/docs/how-to/disable-kubelet-readonly-port",),
)


# GKE's node images (Container-Optimized OS and Ubuntu with containerd, Windows Server) come with GKE's own
# kubelet set-up: the kubelet kubeconfig and configuration files root-owned and not world-writable, anonymous
# authentication off, Webhook authorization, the cluster CA, certificate rotation. The Docker-based images
# (COS, UBUNTU, WINDOWS_LTSC, WINDOWS_SAC) are out of support since containerd became the only runtime.
GKE_NODE_IMAGES = ("COS_CONTAINERD", "UBUNTU_CONTAINERD", "WINDOWS_LTSC_CONTAINERD", "WINDOWS_SAC_CONTAINERD")

field_rule(
    id="gcp.container.node_pool_supported_node_image",
    title="GKE nodes run a supported GKE node image",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    path="config.imageType",
    expect=lambda image: str(image or "").upper() in GKE_NODE_IMAGES,
    ok="{value} is a supported GKE node image, with GKE's kubelet files and defaults",
    bad=lambda image: f"{image or 'no image type'} is not a supported GKE node image",
    rationale="GKE's supported node images keep the kubelet's kubeconfig and configuration files root-owned "
    "and not world-writable and run the kubelet with GKE's hardened defaults; the Docker-based images are "
    "out of support.",
    remediation="gcloud container node-pools update POOL --cluster CLUSTER --image-type COS_CONTAINERD",
    references=("https://cloud.google.com/kubernetes-engine/docs/concepts/node-images",),
)


# Project roles that let their holder push or delete images (Artifact Registry, and Container Registry's buckets)
REGISTRY_WRITE_ROLES = {
    "roles/artifactregistry.writer",
    "roles/artifactregistry.repoAdmin",
    "roles/artifactregistry.admin",
    "roles/artifactregistry.createOnPushWriter",
    "roles/artifactregistry.createOnPushRepoAdmin",
    "roles/storage.admin",
    "roles/storage.objectAdmin",
    "roles/storage.objectCreator",
    "roles/editor",
    "roles/owner",
}
COMPUTE_DEFAULT_SUFFIX = "-compute@developer.gserviceaccount.com"


def _node_members(account: str) -> Callable[[str], bool]:
    """Whether an IAM member is the pool's service account ("default" is the Compute Engine default one)."""
    if account in ("", "default"):
        return lambda member: member.startswith("serviceAccount:") and member.endswith(COMPUTE_DEFAULT_SUFFIX)
    return lambda member: member == f"serviceAccount:{account}"


@rule(
    id="gcp.container.node_pool_registry_read_only",
    title="GKE node service account can pull images but not push them",
    severity="medium",
    category="identity",
    resource_type=POOL,
    rationale="Every pod on a node that reaches the node's metadata server acts as the node's service account. "
    "One holding a registry writer, storage admin or Editor role on the project lets a compromised pod "
    "replace the images every cluster of the project pulls.",
    remediation="Grant the node service account roles/artifactregistry.reader (on the repositories it pulls "
    "from) and remove its writer, storage admin and basic roles on the project.",
    references=("https://cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster",),
)
def node_pool_registry_read_only(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    account = observed(resource.config, "config.serviceAccount")
    projects = same_project(ctx, "gcp.resourcemanager.project", resource)
    policies = [(p, p.config.get("iamPolicy")) for p in projects if isinstance(p.config.get("iamPolicy"), dict)]
    if not policies:
        return None  # the project's IAM policy was not read
    is_node = _node_members(str(account.value or ""))
    granted = [
        {"project": project.uid, "role": b.get("role"), "condition": b.get("condition")}
        for project, policy in policies
        for b in bindings(policy)
        if b.get("role") in REGISTRY_WRITE_ROLES and any(is_node(str(m)) for m in b.get("members") or [])
    ]
    return check(
        not granted,
        "the node service account holds no registry write role on the project",
        "the node service account may push images: " + ", ".join(str(g["role"]) for g in granted),
        account,
        Evidence("projectRegistryWriteRoles", granted),
    )
