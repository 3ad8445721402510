"""GKE cluster rules: what the cluster API says about each cluster."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.helpers import project_of, same_project
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, lookup, observed

CLUSTER = "gcp.container.cluster"


@rule(
    id="gcp.container.cluster_private_endpoint",
    title="GKE control plane is reachable only on its private endpoint",
    severity="high",
    category="exposure",
    resource_type=CLUSTER,
    rationale="A public control plane endpoint exposes the Kubernetes API to the internet.",
    remediation="Enable the private endpoint and disable the public one (controlPlaneEndpointsConfig).",
)
def private_endpoint(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    legacy = lookup(c, "privateClusterConfig.enablePrivateEndpoint") is True
    public = lookup(c, "controlPlaneEndpointsConfig.ipEndpointsConfig.enablePublicEndpoint")
    return check(
        legacy or public is False,
        "the control plane has no public endpoint",
        "the control plane has a public endpoint",
        observed(c, "privateClusterConfig.enablePrivateEndpoint"),
        observed(c, "controlPlaneEndpointsConfig.ipEndpointsConfig.enablePublicEndpoint"),
    )


@rule(
    id="gcp.container.cluster_private_nodes",
    title="GKE nodes have only private IP addresses",
    severity="high",
    category="exposure",
    resource_type=CLUSTER,
    rationale="Nodes with public IP addresses can be reached from the internet.",
    remediation="Create the cluster (or node pools) with private nodes.",
)
def private_nodes(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    default = (
        lookup(c, "privateClusterConfig.enablePrivateNodes") is True
        or lookup(c, "networkConfig.defaultEnablePrivateNodes") is True
    )
    public_pools = [
        p.get("name")
        for p in c.get("nodePools") or []
        if lookup(p, "networkConfig.enablePrivateNodes", default) is not True
    ]
    return check(
        default and not public_pools,
        "every node pool has private nodes",
        "some nodes get public IP addresses",
        observed(c, "privateClusterConfig.enablePrivateNodes"),
        observed(c, "networkConfig.defaultEnablePrivateNodes"),
        ("nodePools[public]", public_pools),
    )


@rule(
    id="gcp.container.cluster_authorized_networks",
    title="GKE control plane authorized networks are enabled",
    severity="high",
    category="exposure",
    resource_type=CLUSTER,
    rationale="Authorized networks limit who can reach the control plane to known address ranges.",
    remediation="Enable control plane authorized networks with the ranges that need access.",
)
def authorized_networks(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    legacy = lookup(c, "masterAuthorizedNetworksConfig.enabled") is True
    current = lookup(c, "controlPlaneEndpointsConfig.ipEndpointsConfig.authorizedNetworksConfig.enabled") is True
    return check(
        legacy or current,
        "authorized networks restrict the control plane",
        "any address may reach the control plane",
        observed(c, "masterAuthorizedNetworksConfig.enabled"),
        observed(c, "masterAuthorizedNetworksConfig.cidrBlocks"),
    )


@rule(
    id="gcp.container.cluster_network_policy",
    title="GKE cluster enforces network policies (Network Policy or Dataplane V2)",
    severity="medium",
    category="cluster",
    resource_type=CLUSTER,
    rationale="Without a network policy enforcer every pod can reach every other pod.",
    remediation="Enable Dataplane V2 (ADVANCED_DATAPATH) or the Network Policy add-on.",
)
def network_policy(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    dataplane = lookup(c, "networkConfig.datapathProvider") == "ADVANCED_DATAPATH"
    calico = lookup(c, "networkPolicy.enabled") is True
    return check(
        dataplane or calico,
        "network policies are enforced",
        "no network policy enforcement is enabled",
        observed(c, "networkConfig.datapathProvider"),
        observed(c, "networkPolicy.enabled"),
    )


field_rule(
    id="gcp.container.cluster_shielded_nodes",
    title="GKE Shielded Nodes are enabled",
    severity="medium",
    category="cluster",
    resource_type=CLUSTER,
    path="shieldedNodes.enabled",
    expect=True,
    ok="Shielded GKE Nodes are on",
    bad="Shielded GKE Nodes are off",
    rationale="Shielded nodes give verifiable node identity and integrity, limiting node impersonation.",
    remediation="Enable Shielded GKE Nodes on the cluster.",
)


field_rule(
    id="gcp.container.cluster_release_channel",
    title="GKE cluster is enrolled in a release channel",
    severity="low",
    category="cluster",
    resource_type=CLUSTER,
    path="releaseChannel.channel",
    expect=lambda value: value in ("RAPID", "REGULAR", "STABLE", "EXTENDED"),
    ok="the cluster follows the {value} channel",
    bad="the cluster is in no release channel",
    rationale="Release channels keep the control plane and nodes on supported, patched versions.",
    remediation="Enroll the cluster in the RAPID, REGULAR, STABLE or EXTENDED channel.",
)


field_rule(
    id="gcp.container.cluster_workload_identity",
    title="GKE Workload Identity is enabled",
    severity="medium",
    category="cluster",
    resource_type=CLUSTER,
    path="workloadIdentityConfig.workloadPool",
    expect=bool,
    ok="Workload Identity is on",
    bad="Workload Identity is off",
    rationale="Workload Identity gives pods their own Google identity instead of the node's service account.",
    remediation="Enable Workload Identity (set the workload pool PROJECT.svc.id.goog).",
)


@rule(
    id="gcp.container.cluster_secrets_encryption",
    title="GKE encrypts Kubernetes Secrets with a Cloud KMS key",
    severity="medium",
    category="encryption",
    resource_type=CLUSTER,
    rationale="Application-layer secrets encryption protects Secrets in etcd with a key you control.",
    remediation="Enable application-layer secrets encryption with a Cloud KMS key.",
)
def secrets_encryption(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    return check(
        lookup(c, "databaseEncryption.state") == "ENCRYPTED" and bool(lookup(c, "databaseEncryption.keyName")),
        "Secrets are encrypted with a Cloud KMS key",
        "Secrets are not encrypted with a Cloud KMS key",
        observed(c, "databaseEncryption.state"),
        observed(c, "databaseEncryption.keyName"),
    )


@rule(
    id="gcp.container.cluster_logging_monitoring",
    title="GKE sends logs to Cloud Logging and metrics to Cloud Monitoring",
    severity="medium",
    category="logging",
    resource_type=CLUSTER,
    rationale="Without logs and metrics, incidents on the cluster cannot be seen or investigated.",
    remediation="Enable Cloud Logging (system and workload components) and Cloud Monitoring.",
)
def logging_monitoring(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    components = lookup(c, "loggingConfig.componentConfig.enableComponents")
    logging_on = c.get("loggingService") == "logging.googleapis.com/kubernetes" or bool(components)
    if components is not None and not components:
        logging_on = False
    metrics = lookup(c, "monitoringConfig.componentConfig.enableComponents")
    monitoring_on = c.get("monitoringService") == "monitoring.googleapis.com/kubernetes" or bool(metrics)
    if metrics is not None and not metrics:
        monitoring_on = False
    return check(
        logging_on and monitoring_on,
        "Cloud Logging and Cloud Monitoring are on",
        "Cloud Logging or Cloud Monitoring is off",
        observed(c, "loggingService"),
        observed(c, "monitoringService"),
        observed(c, "loggingConfig.componentConfig.enableComponents"),
    )


field_rule(
    id="gcp.container.cluster_legacy_abac_disabled",
    title="GKE legacy authorization (ABAC) is disabled",
    severity="high",
    category="cluster",
    resource_type=CLUSTER,
    path="legacyAbac.enabled",
    expect=lambda value: value is not True,
    ok="legacy ABAC is off",
    bad="legacy ABAC is on",
    rationale="Legacy ABAC grants broad static permissions outside RBAC.",
    remediation="Disable legacy authorization on the cluster.",
)


@rule(
    id="gcp.container.cluster_client_certificates_disabled",
    title="GKE does not issue client certificates",
    severity="high",
    category="cluster",
    resource_type=CLUSTER,
    rationale="A client certificate is a long-lived credential that cannot be revoked.",
    remediation="Recreate the cluster without client certificate issuance.",
)
def client_certificates(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    issued = lookup(c, "masterAuth.clientCertificateConfig.issueClientCertificate") is True
    return check(
        not issued and not lookup(c, "masterAuth.clientKey"),
        "no client certificate is issued",
        "the cluster issues a client certificate",
        observed(c, "masterAuth.clientCertificateConfig.issueClientCertificate"),
        ("masterAuth.clientKey present", bool(lookup(c, "masterAuth.clientKey"))),
    )


@rule(
    id="gcp.container.cluster_dashboard_disabled",
    title="GKE Kubernetes Web UI (dashboard) is disabled",
    severity="medium",
    category="cluster",
    resource_type=CLUSTER,
    rationale="The dashboard has been a path to cluster takeover through its service account.",
    remediation="Disable the Kubernetes Dashboard add-on.",
)
def dashboard(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    addon = lookup(c, "addonsConfig.kubernetesDashboard")
    return check(
        addon is None or lookup(c, "addonsConfig.kubernetesDashboard.disabled") is True,
        "the dashboard is off",
        "the dashboard add-on is on",
        observed(c, "addonsConfig.kubernetesDashboard.disabled"),
    )


field_rule(
    id="gcp.container.cluster_alpha_disabled",
    title="GKE cluster is not an alpha cluster",
    severity="medium",
    category="cluster",
    resource_type=CLUSTER,
    path="enableKubernetesAlpha",
    expect=lambda value: value is not True,
    ok="alpha features are off",
    bad="the cluster is an alpha cluster",
    rationale="Alpha clusters run unsupported features, are not upgraded and expire.",
    remediation="Run production workloads on clusters without Kubernetes alpha features.",
)


@rule(
    id="gcp.container.cluster_binary_authorization",
    title="GKE Binary Authorization enforces the project policy (only trusted images run)",
    severity="medium",
    category="images",
    resource_type=CLUSTER,
    rationale="Binary Authorization admits only images that satisfy the project's attestation policy.",
    remediation="Set binaryAuthorization.evaluationMode to PROJECT_SINGLETON_POLICY_ENFORCE.",
)
def binary_authorization(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    mode = lookup(c, "binaryAuthorization.evaluationMode")
    enforced = mode in ("PROJECT_SINGLETON_POLICY_ENFORCE", "POLICY_BINDINGS_AND_PROJECT_SINGLETON_POLICY_ENFORCE")
    return check(
        enforced or (mode is None and lookup(c, "binaryAuthorization.enabled") is True),
        "Binary Authorization is enforced",
        "Binary Authorization is not enforced",
        observed(c, "binaryAuthorization.evaluationMode"),
        observed(c, "binaryAuthorization.enabled"),
    )


field_rule(
    id="gcp.container.cluster_security_posture",
    title="GKE security posture dashboard is enabled",
    severity="low",
    category="cluster",
    resource_type=CLUSTER,
    path="securityPostureConfig.mode",
    expect=lambda value: value in ("BASIC", "ENTERPRISE"),
    ok="security posture is {value}",
    bad="security posture is off",
    rationale="Security posture scans workloads for misconfigurations and reports them.",
    remediation="Set securityPostureConfig.mode to BASIC or ENTERPRISE.",
)


@rule(
    id="gcp.container.cluster_vulnerability_scanning",
    title="Container image vulnerability scanning is enabled for the cluster",
    severity="medium",
    category="images",
    resource_type=CLUSTER,
    rationale="Scanning finds known vulnerabilities in the images the cluster runs.",
    remediation="Enable workload vulnerability scanning (securityPostureConfig.vulnerabilityMode) or the "
    "Container Scanning API (containerscanning.googleapis.com).",
)
def vulnerability_scanning(resource: ResourceRecord, ctx) -> Verdict:
    mode = lookup(resource.config, "securityPostureConfig.vulnerabilityMode")
    projects = same_project(ctx, "gcp.resourcemanager.project", resource)
    services = lookup(projects[0].config, "enabledServices") if projects else None
    api = "containerscanning.googleapis.com" in (services or [])
    return check(
        mode in ("VULNERABILITY_BASIC", "VULNERABILITY_ENTERPRISE") or api,
        "images are scanned for vulnerabilities",
        "neither workload vulnerability scanning nor the Container Scanning API is on",
        observed(resource.config, "securityPostureConfig.vulnerabilityMode"),
        ("project.enabledServices has containerscanning.googleapis.com", api if services is not None else None),
    )


field_rule(
    id="gcp.container.cluster_vpc_native",
    title="GKE cluster is VPC-native (alias IP ranges)",
    severity="low",
    category="network",
    resource_type=CLUSTER,
    path="ipAllocationPolicy.useIpAliases",
    expect=True,
    ok="the cluster is VPC-native",
    bad="the cluster uses routes-based networking",
    rationale="VPC-native clusters make pod addresses routable and subject to VPC firewall rules.",
    remediation="Create the cluster with alias IP ranges (VPC-native).",
)


@rule(
    id="gcp.container.cluster_intranode_visibility",
    title="GKE intranode visibility is on and the cluster subnet has VPC Flow Logs",
    severity="low",
    category="logging",
    resource_type=CLUSTER,
    rationale="Pod-to-pod traffic on one node is invisible to flow logs without intranode visibility.",
    remediation="Enable intranode visibility and VPC Flow Logs on the cluster's subnetwork.",
)
def intranode_visibility(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    subnet_path = str(lookup(c, "networkConfig.subnetwork") or "")
    flow_logs = None
    project = project_of(resource)
    for subnet in ctx.resources("gcp.compute.subnetwork"):
        if subnet.uid == f"//compute.googleapis.com/{subnet_path}" or (
            subnet_path.endswith("/" + subnet.name) and subnet.config.get("_project") == project
        ):
            flow_logs = lookup(subnet.config, "logConfig.enable") is True or subnet.config.get("enableFlowLogs") is True
    visible = lookup(c, "networkConfig.enableIntraNodeVisibility") is True
    return check(
        visible and flow_logs is not False,
        "intranode visibility is on" + ("" if flow_logs else " (the subnetwork was not collected)"),
        "intranode visibility or the subnetwork's flow logs are off",
        observed(c, "networkConfig.enableIntraNodeVisibility"),
        observed(c, "networkConfig.subnetwork"),
        ("subnetwork.logConfig.enable", flow_logs),
    )
