"""Compute Engine instances and project metadata."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.gcp.helpers import is_default_compute_sa, is_true, metadata_value, same_project
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, lookup, observed

INSTANCE = "gcp.compute.instance"
GKE_CLUSTER = "gcp.container.cluster"


CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


def is_gke_node(resource: ResourceRecord, ctx: RuleContext) -> bool:
    """A VM that GKE made for a node pool: its ``created-by`` metadata names the instance group manager of a
    node pool the scan read. A name (``gke-...``) or a label (``goog-gke-node``) is anyone's to set, and
    would take any VM out of every instance rule."""
    items = (resource.config.get("metadata") or {}).get("items") or []
    created_by = next((str(i.get("value")) for i in items if isinstance(i, dict) and i.get("key") == "created-by"), "")
    zone_path, _, manager = created_by.rpartition("/instanceGroupManagers/")
    if not manager or "/zones/" not in f"/{zone_path}":
        return False
    wanted = "zones/" + zone_path.rsplit("zones/", 1)[-1] + "/instanceGroupManagers/" + manager
    return any(
        str(url).endswith("/" + wanted)
        for cluster in ctx.resources(GKE_CLUSTER)
        for pool in cluster.config.get("nodePools") or []
        if isinstance(pool, dict)
        for url in pool.get("instanceGroupUrls") or []
    )


def _emails(resource: ResourceRecord) -> list[str]:
    return [str(a.get("email", "")) for a in resource.config.get("serviceAccounts") or [] if isinstance(a, dict)]


@rule(
    id="gcp.compute.instance_not_default_service_account",
    title="Instance does not use the Compute Engine default service account",
    severity="medium",
    category="identity",
    resource_type=INSTANCE,
    rationale="The default service account has the Editor role on the project.",
    remediation="Give the instance a dedicated, least-privilege service account.",
)
def not_default_sa(resource: ResourceRecord, ctx) -> Verdict | None:
    if is_gke_node(resource, ctx):
        return None
    return check(
        not any(is_default_compute_sa(e) for e in _emails(resource)),
        "the instance uses a dedicated service account",
        "the instance uses the Compute Engine default service account",
        observed(resource.config, "serviceAccounts"),
    )


@rule(
    id="gcp.compute.instance_default_sa_not_full_access",
    title="Instance does not use the default service account with full access to all Cloud APIs",
    severity="high",
    category="identity",
    resource_type=INSTANCE,
    rationale="Editor plus the cloud-platform scope lets anyone on the VM change most of the project.",
    remediation="Use a dedicated service account, or narrow the access scopes.",
)
def default_sa_full_access(resource: ResourceRecord, ctx) -> Verdict | None:
    if is_gke_node(resource, ctx):
        return None
    bad = [
        a.get("email")
        for a in resource.config.get("serviceAccounts") or []
        if is_default_compute_sa(a.get("email")) and CLOUD_PLATFORM in (a.get("scopes") or [])
    ]
    return check(
        not bad,
        "no default service account with the cloud-platform scope",
        "the default service account has full access to all Cloud APIs",
        observed(resource.config, "serviceAccounts"),
    )


@rule(
    id="gcp.compute.instance_blocks_project_ssh_keys",
    title="Instance blocks project-wide SSH keys",
    severity="medium",
    category="identity",
    resource_type=INSTANCE,
    rationale="A project-wide SSH key opens every instance in the project.",
    remediation="Set the instance metadata block-project-ssh-keys to true (or use OS Login).",
)
def blocks_project_ssh_keys(resource: ResourceRecord, ctx) -> Verdict | None:
    if is_gke_node(resource, ctx):
        return None
    value = metadata_value(resource.config.get("metadata"), "block-project-ssh-keys")
    return check(
        is_true(value),
        "project-wide SSH keys are blocked",
        "project-wide SSH keys are accepted",
        ("metadata.items[block-project-ssh-keys]", value),
    )


@rule(
    id="gcp.compute.project_oslogin_enabled",
    title="OS Login is enabled for the project",
    severity="medium",
    category="identity",
    resource_type="gcp.compute.project",
    rationale="OS Login ties SSH access to IAM identities and revokes it with them.",
    remediation="Set the project metadata enable-oslogin to TRUE.",
)
def project_oslogin(resource: ResourceRecord, ctx) -> Verdict:
    value = metadata_value(resource.config.get("commonInstanceMetadata"), "enable-oslogin")
    return check(
        is_true(value),
        "OS Login is on for the project",
        "OS Login is off for the project",
        ("commonInstanceMetadata.items[enable-oslogin]", value),
    )


@rule(
    id="gcp.compute.instance_oslogin_not_disabled",
    title="Instance does not turn OS Login off",
    severity="medium",
    category="identity",
    resource_type=INSTANCE,
    rationale="An instance-level enable-oslogin=FALSE overrides the project setting.",
    remediation="Remove enable-oslogin=FALSE from the instance metadata.",
)
def instance_oslogin(resource: ResourceRecord, ctx) -> Verdict | None:
    if is_gke_node(resource, ctx):
        return None
    value = metadata_value(resource.config.get("metadata"), "enable-oslogin")
    return check(
        value is None or is_true(value),
        "the instance keeps the project's OS Login setting",
        "the instance turns OS Login off",
        ("metadata.items[enable-oslogin]", value),
    )


@rule(
    id="gcp.compute.instance_serial_port_disabled",
    title="Instance does not allow connecting to its serial port",
    severity="medium",
    category="network",
    resource_type=INSTANCE,
    rationale="The interactive serial console accepts connections from any IP address.",
    remediation="Set serial-port-enable to false on the instance and the project.",
)
def serial_port(resource: ResourceRecord, ctx) -> Verdict:
    value = metadata_value(resource.config.get("metadata"), "serial-port-enable")
    source = "metadata.items[serial-port-enable]"
    if value is None:
        for project in same_project(ctx, "gcp.compute.project", resource):
            value = metadata_value(project.config.get("commonInstanceMetadata"), "serial-port-enable")
            source = "project commonInstanceMetadata.items[serial-port-enable]"
    return check(
        not is_true(value),
        "serial port connections are off",
        "serial port connections are on",
        (source, value),
    )


@rule(
    id="gcp.compute.instance_ip_forwarding_disabled",
    title="Instance does not forward IP packets",
    severity="medium",
    category="network",
    resource_type=INSTANCE,
    rationale="IP forwarding lets an instance route traffic not addressed to it, bypassing controls.",
    remediation="Recreate the instance with canIpForward false.",
)
def ip_forwarding(resource: ResourceRecord, ctx) -> Verdict | None:
    if is_gke_node(resource, ctx):
        return None
    return check(
        resource.config.get("canIpForward") is not True,
        "IP forwarding is off",
        "IP forwarding is on",
        observed(resource.config, "canIpForward"),
    )


@rule(
    id="gcp.compute.instance_disks_csek",
    title="Instance disks are encrypted with customer-supplied keys (CSEK)",
    severity="low",
    category="encryption",
    resource_type=INSTANCE,
    rationale="For critical VMs, CSEK keeps the disk keys out of Google's key management.",
    remediation="Recreate the critical instance's disks with customer-supplied encryption keys.",
)
def disks_csek(resource: ResourceRecord, ctx) -> Verdict | None:
    disks = [d for d in resource.config.get("disks") or [] if isinstance(d, dict)]
    if not disks:
        return None
    plain = [d.get("deviceName") for d in disks if not lookup(d, "diskEncryptionKey.sha256")]
    return check(
        not plain,
        "every disk uses a customer-supplied key",
        "some disks do not use a customer-supplied key",
        ("disks[without diskEncryptionKey.sha256]", plain),
    )


@rule(
    id="gcp.compute.instance_shielded_vm",
    title="Instance is a Shielded VM (vTPM and integrity monitoring)",
    severity="medium",
    category="workload",
    resource_type=INSTANCE,
    rationale="Shielded VM defends against rootkits and bootkits and reports boot integrity.",
    remediation="Turn on vTPM, integrity monitoring and Secure Boot in the shielded instance config.",
)
def shielded_vm(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    return check(
        lookup(c, "shieldedInstanceConfig.enableVtpm") is True
        and lookup(c, "shieldedInstanceConfig.enableIntegrityMonitoring") is True,
        "vTPM and integrity monitoring are on",
        "the instance is not a Shielded VM",
        observed(c, "shieldedInstanceConfig.enableVtpm"),
        observed(c, "shieldedInstanceConfig.enableIntegrityMonitoring"),
        observed(c, "shieldedInstanceConfig.enableSecureBoot"),
    )


@rule(
    id="gcp.compute.instance_no_public_ip",
    title="Instance has no public IP address",
    severity="medium",
    category="exposure",
    resource_type=INSTANCE,
    rationale="A public address exposes the instance to the internet.",
    remediation="Remove the external access config; reach the instance through IAP or a load balancer.",
)
def no_public_ip(resource: ResourceRecord, ctx) -> Verdict | None:
    if is_gke_node(resource, ctx):
        return None
    public = [
        config.get("natIP") or config.get("name")
        for nic in resource.config.get("networkInterfaces") or []
        for config in (nic.get("accessConfigs") or []) + (nic.get("ipv6AccessConfigs") or [])
    ]
    return check(
        not public,
        "the instance has no external address",
        "the instance has an external address",
        ("networkInterfaces[].accessConfigs", public),
    )


@rule(
    id="gcp.compute.instance_confidential_computing",
    title="Instance has Confidential Computing enabled",
    severity="low",
    category="encryption",
    resource_type=INSTANCE,
    rationale="Confidential VMs keep memory encrypted while in use.",
    remediation="Create the instance as a Confidential VM on a supported machine type.",
)
def confidential(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    return check(
        lookup(c, "confidentialInstanceConfig.enableConfidentialCompute") is True
        or bool(lookup(c, "confidentialInstanceConfig.confidentialInstanceType")),
        "Confidential Computing is on",
        "Confidential Computing is off",
        observed(c, "confidentialInstanceConfig.enableConfidentialCompute"),
    )
