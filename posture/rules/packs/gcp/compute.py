"""Compute Engine rules: instances and project metadata; VPC networks, subnetworks and firewall rules."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.gcp.helpers import is_default_compute_sa, is_true, metadata_value, project_of, same_project
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, errored, lookup, observed, unreadable

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


OPEN_RANGES = ("0.0.0.0/0", "::/0")


@rule(
    id="gcp.compute.network_not_default",
    title="The default network does not exist",
    severity="medium",
    category="network",
    resource_type="gcp.compute.network",
    rationale="The default network comes with permissive firewall rules and auto-created subnets.",
    remediation="Create custom networks for workloads and delete the default network.",
)
def not_default(resource: ResourceRecord, ctx) -> Verdict:
    return check(
        resource.config.get("name") != "default",
        "this is not the default network",
        "the project still has the default network",
        observed(resource.config, "name"),
        observed(resource.config, "autoCreateSubnetworks"),
    )


field_rule(
    id="gcp.compute.network_not_legacy",
    title="The network is not a legacy network",
    severity="medium",
    category="network",
    resource_type="gcp.compute.network",
    path="IPv4Range",
    expect=lambda value: not value,
    ok="this is a VPC network",
    bad="this is a legacy network",
    rationale="Legacy networks have one global IP range, no subnetworks and no flow logs.",
    remediation="Move workloads to a VPC network and delete the legacy network.",
)


def _port_open(allowed: list[dict[str, Any]], port: int) -> bool:
    for entry in allowed:
        protocol = str(entry.get("IPProtocol", "")).lower()
        if protocol not in ("tcp", "all", "6"):
            continue
        ports = entry.get("ports") or []
        if not ports:
            return True
        for spec in ports:
            low, _, high = str(spec).partition("-")
            try:
                if int(low) <= port <= int(high or low):
                    return True
            except ValueError:
                continue
    return False


def _open_to_internet(resource: ResourceRecord, port: int) -> tuple[bool, list[Any]]:
    c = resource.config
    if c.get("direction", "INGRESS") != "INGRESS" or c.get("disabled") is True:
        return False, []
    ranges = [r for r in c.get("sourceRanges") or [] if r in OPEN_RANGES]
    return bool(ranges) and _port_open(c.get("allowed") or [], port), ranges


def _port_rule(port: int, name: str):
    def evaluate(resource: ResourceRecord, ctx) -> Verdict:
        open_, ranges = _open_to_internet(resource, port)
        return check(
            not open_,
            f"{name} (tcp/{port}) is not open to the internet",
            f"{name} (tcp/{port}) is open to {', '.join(ranges)}",
            observed(resource.config, "sourceRanges"),
            observed(resource.config, "allowed"),
            observed(resource.config, "direction"),
            observed(resource.config, "disabled"),
        )

    return evaluate


ssh_restricted = rule(
    id="gcp.compute.firewall_ssh_restricted",
    title="Firewall rule does not allow SSH from the internet",
    severity="high",
    category="exposure",
    resource_type="gcp.compute.firewall",
    rationale="SSH open to the internet invites brute force and exploitation of the SSH service.",
    remediation="Restrict the source ranges (for example to IAP's 35.235.240.0/20) or delete the rule.",
)(_port_rule(22, "SSH"))


rdp_restricted = rule(
    id="gcp.compute.firewall_rdp_restricted",
    title="Firewall rule does not allow RDP from the internet",
    severity="high",
    category="exposure",
    resource_type="gcp.compute.firewall",
    rationale="RDP open to the internet is a common ransomware entry point.",
    remediation="Restrict the source ranges (for example to IAP's 35.235.240.0/20) or delete the rule.",
)(_port_rule(3389, "RDP"))


@rule(
    id="gcp.compute.subnetwork_flow_logs",
    title="VPC Flow Logs are enabled on the subnetwork",
    severity="medium",
    category="logging",
    resource_type="gcp.compute.subnetwork",
    rationale="Flow logs record the network traffic needed to investigate an incident.",
    remediation="Enable flow logs (5-second aggregation, sample rate 1, all metadata) on every subnetwork.",
)
def flow_logs(resource: ResourceRecord, ctx) -> Verdict | None:
    c = resource.config
    if c.get("purpose") not in (None, "", "PRIVATE", "PRIVATE_RFC_1918"):
        return None  # proxy-only and Private Service Connect subnets carry no VM traffic to log
    return check(
        lookup(c, "logConfig.enable") is True or c.get("enableFlowLogs") is True,
        "flow logs are on",
        "flow logs are off",
        observed(c, "logConfig.enable"),
        observed(c, "logConfig.flowSampling"),
        observed(c, "logConfig.aggregationInterval"),
    )


# -- load balancing -----------------------------------------------------------
BACKEND_SERVICE = "gcp.compute.backend_service"
HTTP_PROTOCOLS = ("HTTP", "HTTPS", "HTTP2", "H2C")
HTTP_LB_SCHEMES = ("EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL_MANAGED")
WEAK_CIPHERS = (
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
)
STRONG_MIN_TLS = ("TLS_1_2", "TLS_1_3")


@rule(
    id="gcp.compute.backend_service_logging",
    title="HTTP(S) load balancer backend services log requests",
    severity="medium",
    category="logging",
    resource_type=BACKEND_SERVICE,
    rationale="Request logs of a load balancer are the record of who called what from where: needed to "
    "investigate an attack on the services behind it.",
    remediation="Enable logging on the backend service with a sample rate above 0 "
    "(gcloud compute backend-services update NAME --enable-logging --logging-sample-rate=1).",
)
def backend_service_logging(resource: ResourceRecord, ctx) -> Verdict | None:
    config = resource.config
    protocol = str(config.get("protocol") or "HTTP")
    if protocol not in HTTP_PROTOCOLS or str(config.get("loadBalancingScheme") or "EXTERNAL") not in HTTP_LB_SCHEMES:
        return None  # not behind an HTTP(S) load balancer
    raw = config.get("logConfig")
    log_config: dict[str, Any] = raw if isinstance(raw, dict) else {}
    rate = log_config.get("sampleRate", 1.0)
    on = log_config.get("enable") is True and not (isinstance(rate, int | float) and rate <= 0)
    return check(
        on,
        "the backend service logs requests",
        "the backend service logs no requests" + (" (sample rate 0)" if log_config.get("enable") is True else ""),
        observed(config, "logConfig.enable"),
        observed(config, "logConfig.sampleRate"),
    )


def _path(url: Any) -> str:
    text = str(url or "")
    index = text.find("projects/")
    return text[index:].rstrip("/") if index >= 0 else text


def weak_tls(policy: dict[str, Any]) -> list[str]:
    """What makes an SSL policy accept weak TLS: an old minimum version, a compatible profile, weak ciphers."""
    profile = str(policy.get("profile") or "COMPATIBLE")
    minimum = str(policy.get("minTlsVersion") or "TLS_1_0")
    problems = []
    if profile == "COMPATIBLE":
        problems.append("profile COMPATIBLE")
    if profile in ("MODERN", "CUSTOM", "COMPATIBLE") and minimum not in STRONG_MIN_TLS:
        problems.append(f"minTlsVersion {minimum}")
    if profile == "CUSTOM":
        features = {str(f) for f in (policy.get("customFeatures") or []) + (policy.get("enabledFeatures") or [])}
        problems += [f"cipher {c}" for c in WEAK_CIPHERS if c in features]
    return problems


def _proxy_tls(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    url = resource.config.get("sslPolicy")
    if not url:
        return check(
            False,
            "",
            "the proxy uses Google's default SSL policy (COMPATIBLE, TLS 1.0)",
            observed(resource.config, "sslPolicy"),
        )
    policy = next(
        (
            p
            for p in same_project(ctx, "gcp.compute.ssl_policy", resource)
            if _path(p.config.get("selfLink")) == _path(url)
        ),
        None,
    )
    if policy is None:
        return errored("the proxy's SSL policy was not read", observed(resource.config, "sslPolicy"))
    problems = weak_tls(policy.config)
    return check(
        not problems,
        f"SSL policy {policy.name} allows only strong TLS",
        f"SSL policy {policy.name} allows weak TLS: {', '.join(problems)}",
        observed(resource.config, "sslPolicy"),
        ("sslPolicy.weaknesses", problems),
    )


@rule(
    id="gcp.compute.target_https_proxy_strong_tls",
    title="HTTPS load balancer proxies use an SSL policy without weak TLS versions or ciphers",
    severity="medium",
    category="encryption",
    resource_type="gcp.compute.target_https_proxy",
    rationale="TLS 1.0 and 1.1 and the RSA key-exchange and CBC cipher suites let an attacker on the path "
    "downgrade or decrypt traffic.",
    remediation="Attach an SSL policy with profile MODERN and minimum TLS 1.2, profile RESTRICTED, or a CUSTOM "
    "profile without the weak cipher suites.",
)
def target_https_proxy_tls(resource: ResourceRecord, ctx) -> Verdict:
    return _proxy_tls(resource, ctx)


@rule(
    id="gcp.compute.target_ssl_proxy_strong_tls",
    title="SSL proxy load balancers use an SSL policy without weak TLS versions or ciphers",
    severity="medium",
    category="encryption",
    resource_type="gcp.compute.target_ssl_proxy",
    rationale="TLS 1.0 and 1.1 and the RSA key-exchange and CBC cipher suites let an attacker on the path "
    "downgrade or decrypt traffic.",
    remediation="Attach an SSL policy with profile MODERN and minimum TLS 1.2, profile RESTRICTED, or a CUSTOM "
    "profile without the weak cipher suites.",
)
def target_ssl_proxy_tls(resource: ResourceRecord, ctx) -> Verdict:
    return _proxy_tls(resource, ctx)


# -- private service connect ----------------------------------------------------
@rule(
    id="gcp.compute.network_google_apis_private_endpoint",
    title="VPC networks reach Google APIs through a Private Service Connect endpoint",
    severity="low",
    category="network",
    resource_type="gcp.compute.network",
    rationale="A Private Service Connect endpoint for Google APIs keeps the network's API traffic on an internal "
    "address (with the vpc-sc bundle, only to services VPC Service Controls supports).",
    remediation="Create a global forwarding rule with target all-apis or vpc-sc on an internal address of the "
    "network, and DNS records for googleapis.com pointing at it.",
)
def network_google_apis_endpoint(resource: ResourceRecord, ctx) -> Verdict:
    summaries = same_project(ctx, "gcp.compute.google_api_endpoints", resource)
    if not summaries:
        return errored("the project's global forwarding rules were not read", ("google_api_endpoints", None))
    summary = summaries[0]
    problem = unreadable(summary, "endpoints", "the global forwarding rules")
    if problem:
        return problem
    mine = _path(resource.config.get("selfLink")) or f"projects/{project_of(resource)}/global/networks/{resource.name}"
    endpoints = [e.get("name") for e in summary.config.get("endpoints") or [] if _path(e.get("network")) == mine]
    return check(
        bool(endpoints),
        f"endpoint {', '.join(str(e) for e in endpoints)} serves Google APIs to the network",
        "no Private Service Connect endpoint for Google APIs is in the network",
        ("google_api_endpoints[network].name", endpoints),
    )
