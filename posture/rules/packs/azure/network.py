"""Network rules: NSGs, flow logs, Network Watcher, virtual networks, Application Gateway, WAF policies and
Bastion."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import OPEN_SOURCES, props
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Evidence, Verdict, check, errored, failed, observed, passed

NSG = "azure.network.security_group"


FLOW_LOG = "azure.network.flow_log"


VNET = "azure.network.virtual_network"


COVERAGE = "azure.network.watcher_coverage"


DOCS = "https://learn.microsoft.com/azure/network-watcher/"


# Subnets Azure forbids or manages NSGs on.
NSG_EXEMPT_SUBNETS = {"gatewaysubnet", "azurefirewallsubnet", "azurefirewallmanagementsubnet", "routeserversubnet"}


def _indexed_rules(resource: ResourceRecord) -> list[tuple[str, dict[str, Any]]]:
    """Every inbound rule as (evidence path, properties), custom and default, by priority."""
    found = []
    for key in ("securityRules", "defaultSecurityRules"):
        for n, item in enumerate(props(resource).get(key) or []):
            p = item.get("properties") or {}
            if str(p.get("direction", "")).lower() == "inbound":
                found.append((f"properties.{key}.{n}", {"name": item.get("name"), **p}))
    return sorted(found, key=lambda pair: int(pair[1].get("priority") or 65535))


def _from_anywhere(p: dict[str, Any]) -> bool:
    sources = [p.get("sourceAddressPrefix"), *(p.get("sourceAddressPrefixes") or [])]
    return any(str(s).strip().lower() in OPEN_SOURCES for s in sources if s)


def _ports(p: dict[str, Any]) -> list[str]:
    return [str(x) for x in [p.get("destinationPortRange"), *(p.get("destinationPortRanges") or [])] if x]


def _covers(spec: str, port: int | None) -> bool:
    spec = spec.strip()
    if spec == "*":
        return True
    if port is None:
        return False
    low, _, high = spec.partition("-")
    try:
        return int(low) <= port <= int(high or low)
    except ValueError:
        return False


def _protocol_covers(p: dict[str, Any], protocol: str) -> bool:
    return str(p.get("protocol", "*")).lower() in ("*", protocol.lower())


def open_rules(resource: ResourceRecord, protocol: str, ports: tuple[int, ...] | None) -> list[Evidence]:
    """Rules that let Internet traffic in on ``protocol`` to any of ``ports`` (None: any port).

    NSG rules apply by priority: an Internet-wide Deny earlier than the Allow shuts it.
    """
    offending: list[Evidence] = []
    for wanted in ports or (None,):
        for path, p in _indexed_rules(resource):
            if not (_from_anywhere(p) and _protocol_covers(p, protocol)):
                continue
            specs = _ports(p)
            if wanted is None:
                if str(p.get("access", "")).lower() == "deny" and "*" in specs:
                    break
                if str(p.get("access", "")).lower() == "allow":
                    offending.append(Evidence(path, p))
                continue
            if not any(_covers(s, wanted) for s in specs):
                continue
            if str(p.get("access", "")).lower() == "allow":
                offending.append(Evidence(path, p))
            break
    unique: dict[str, Evidence] = {e.path: e for e in offending}
    return list(unique.values())


def _internet_rule(rule_id: str, title: str, protocol: str, ports: tuple[int, ...] | None, what: str, severity: str):
    @rule(
        id=rule_id,
        title=title,
        severity=severity,
        category="exposure",
        resource_type=NSG,
        rationale=f"{what} open to the Internet is scanned and brute-forced within minutes of exposure.",
        remediation="Remove the rule or narrow its source to known addresses; reach hosts through Azure Bastion, "
        "a VPN or private endpoints.",
        references=("https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",),
    )
    def judge(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
        offending = open_rules(resource, protocol, ports)
        if offending:
            names = ", ".join(str(e.value.get("name")) for e in offending)
            return failed(f"{what} is open to the Internet by rule(s) {names}", *offending)
        return passed(f"no rule opens {what} to the Internet", observed(resource.config, "properties.securityRules"))

    judge.__name__ = rule_id.rsplit(".", 1)[-1]
    return judge


_internet_rule(
    "azure.network.nsg_rdp_not_open", "NSG does not allow RDP from the Internet", "Tcp", (3389,), "RDP (3389)", "high"
)


_internet_rule(
    "azure.network.nsg_ssh_not_open", "NSG does not allow SSH from the Internet", "Tcp", (22,), "SSH (22)", "high"
)


_internet_rule(
    "azure.network.nsg_udp_not_open", "NSG does not allow UDP from the Internet", "Udp", None, "UDP", "medium"
)


_internet_rule(
    "azure.network.nsg_http_not_open",
    "NSG does not allow HTTP(S) from the Internet",
    "Tcp",
    (80, 443),
    "HTTP(S) (80/443)",
    "low",
)


def enabled_flow_logs(logs: Any) -> list[str]:
    """Ids of the enabled flow logs among those that target an NSG."""
    return [log["id"] for log in logs or [] if log.get("enabled")]


field_rule(
    id="azure.network.nsg_flow_logged",
    title="NSG has an enabled flow log",
    severity="medium",
    category="logging",
    resource_type=NSG,
    path="_flowLogs",
    expect=lambda logs: bool(enabled_flow_logs(logs)),
    ok=lambda logs: f"flow logged by {len(enabled_flow_logs(logs))} flow log(s)",
    bad="no enabled flow log targets this NSG",
    rationale="Flow logs record which connections the NSG allowed and denied, for investigations and tuning.",
    remediation="Create a flow log for the NSG (or, as NSG flow logs retire, a virtual network flow log).",
    references=(DOCS + "nsg-flow-logs-overview",),
)


@rule(
    id="azure.network.flow_log_retention_90_days",
    title="Flow log keeps records for 90 days or more",
    severity="medium",
    category="logging",
    resource_type=FLOW_LOG,
    rationale="Investigations often start weeks after the fact; 90 days of flow records is the CIS minimum.",
    remediation="Set the flow log's retention to 0 (keep) or at least 90 days.",
    references=(DOCS + "nsg-flow-logs-manage",),
)
def flow_log_retention_90_days(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    enabled = observed(resource.config, "properties.retentionPolicy.enabled")
    days = observed(resource.config, "properties.retentionPolicy.days")
    count = days.value if isinstance(days.value, int) else 0
    kept = enabled.value is not True or count == 0 or count >= 90
    return check(
        kept,
        "records are kept indefinitely"
        if enabled.value is not True or count == 0
        else f"records are kept {count} days",
        f"records are deleted after {count} days",
        enabled,
        days,
    )


@rule(
    id="azure.network.flow_log_traffic_analytics",
    title="Flow log is enabled and sent to Log Analytics (traffic analytics)",
    severity="low",
    category="logging",
    resource_type=FLOW_LOG,
    rationale="Traffic analytics in a Log Analytics workspace makes flow records searchable and alertable.",
    remediation="Enable the flow log and traffic analytics with a Log Analytics workspace.",
    references=(DOCS + "traffic-analytics",),
)
def flow_log_traffic_analytics(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    base = "properties.flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration"
    enabled = observed(resource.config, "properties.enabled")
    analytics = observed(resource.config, f"{base}.enabled")
    workspace = observed(resource.config, f"{base}.workspaceResourceId")
    return check(
        enabled.value is True and analytics.value is True and bool(workspace.value),
        "flow records reach Log Analytics through traffic analytics",
        "flow records do not reach Log Analytics" + ("" if enabled.value is True else " (the flow log is disabled)"),
        enabled,
        analytics,
        workspace,
    )


@rule(
    id="azure.network.watcher_in_used_regions",
    title="Network Watcher is enabled in every region in use",
    severity="low",
    category="logging",
    resource_type=COVERAGE,
    rationale="Flow logs, connection troubleshooting and topology need a Network Watcher in the resource's region.",
    remediation="az network watcher configure -g NetworkWatcherRG -l REGION --enabled true",
    references=(DOCS + "network-watcher-create",),
)
def watcher_in_used_regions(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    prefix = f"/subscriptions/{resource.config.get('subscriptionId', '')}/".lower()
    in_use = sorted(
        {
            r.region
            for type_ in ctx.types()
            if type_.startswith("azure.")
            for r in ctx.resources(type_)
            if r.uid.lower().startswith(prefix) and r.region not in ("global", "")
        }
    )
    watched = set(resource.config.get("watcherLocations") or [])
    missing = [region for region in in_use if region not in watched]
    return check(
        not missing,
        f"every region in use has a Network Watcher ({', '.join(in_use) or 'none in use'})",
        f"no Network Watcher in {', '.join(missing)}",
        observed(resource.config, "watcherLocations"),
        ("regionsInUse", in_use),
    )


@rule(
    id="azure.network.subnets_have_nsg",
    title="Virtual network's subnets are associated with an NSG",
    severity="medium",
    category="network",
    resource_type=VNET,
    rationale="A subnet without an NSG has no traffic filtering of its own.",
    remediation="Associate a network security group with each subnet (GatewaySubnet and firewall subnets excepted).",
    references=("https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works",),
)
def subnets_have_nsg(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    subnets = props(resource).get("subnets") or []
    judged = [s for s in subnets if str(s.get("name", "")).lower() not in NSG_EXEMPT_SUBNETS]
    if not judged:
        return None
    bare = [s.get("name") for s in judged if not (s.get("properties") or {}).get("networkSecurityGroup")]
    return check(
        not bare,
        f"all {len(judged)} subnet(s) have an NSG",
        f"subnet(s) without an NSG: {', '.join(str(b) for b in bare)}",
        (
            "properties.subnets",
            [
                {"name": s.get("name"), "networkSecurityGroup": (s.get("properties") or {}).get("networkSecurityGroup")}
                for s in judged
            ],
        ),
    )


@rule(
    id="azure.network.vnet_ddos_protection",
    title="Virtual network has DDoS Network Protection",
    severity="low",
    category="network",
    resource_type=VNET,
    rationale="DDoS Network Protection adapts mitigation to the network's traffic and covers its public IPs.",
    remediation="Associate a DDoS protection plan with the virtual network.",
    references=("https://learn.microsoft.com/azure/ddos-protection/manage-ddos-protection",),
)
def vnet_ddos_protection(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    enabled = observed(resource.config, "properties.enableDdosProtection")
    plan = observed(resource.config, "properties.ddosProtectionPlan.id")
    return check(
        enabled.value is True and bool(plan.value),
        "DDoS Network Protection is on",
        "DDoS Network Protection is off",
        enabled,
        plan,
    )


GATEWAY = "azure.network.application_gateway"


WAF_POLICY = "azure.network.waf_policy"


BASTIONS = "azure.network.bastion_hosts"


DOCS = "https://learn.microsoft.com/azure/"


# Predefined Application Gateway TLS policies and the oldest protocol each accepts.
PREDEFINED_MIN_TLS = {
    "appgwsslpolicy20150501": "TLSv1_0",
    "appgwsslpolicy20170401": "TLSv1_1",
    "appgwsslpolicy20170401s": "TLSv1_2",
    "appgwsslpolicy20220101": "TLSv1_2",
    "appgwsslpolicy20220101s": "TLSv1_2",
}


MODERN_TLS = {"TLSv1_2", "TLSv1_3"}


@rule(
    id="azure.network.app_gateway_waf_enabled",
    title="Application Gateway runs a Web Application Firewall",
    severity="medium",
    category="network",
    resource_type=GATEWAY,
    rationale="A WAF in front of web applications blocks common exploits (OWASP top ten) before they reach the app.",
    remediation="Move the gateway to the WAF_v2 tier and associate a WAF policy.",
    references=(DOCS + "web-application-firewall/ag/ag-overview",),
)
def app_gateway_waf_enabled(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    tier = observed(resource.config, "properties.sku.tier")
    policy = observed(resource.config, "properties.firewallPolicy.id")
    legacy = observed(resource.config, "properties.webApplicationFirewallConfiguration.enabled")
    waf_tier = str(tier.value or "").upper().startswith("WAF")
    return check(
        waf_tier and (bool(policy.value) or legacy.value is True),
        "a WAF inspects the gateway's traffic",
        f"no WAF inspects the gateway's traffic (tier {tier.value})",
        tier,
        policy,
    )


@rule(
    id="azure.network.app_gateway_tls_12",
    title="Application Gateway accepts TLS 1.2 or newer only",
    severity="medium",
    category="encryption",
    resource_type=GATEWAY,
    rationale="TLS 1.0 and 1.1 are deprecated and weak; the gateway's TLS policy decides what clients may use.",
    remediation="Set the gateway's TLS policy to AppGwSslPolicy20220101S or a custom policy with TLSv1_2 minimum.",
    references=(DOCS + "application-gateway/application-gateway-ssl-policy-overview",),
)
def app_gateway_tls_12(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    policy = props(resource).get("sslPolicy") or {}
    if str(policy.get("policyType", "")).lower().startswith("custom"):
        minimum = policy.get("minProtocolVersion")
    else:
        name = policy.get("policyName") or props(resource).get("defaultPredefinedSslPolicy")
        minimum = PREDEFINED_MIN_TLS.get(str(name or "").lower())
    return check(
        minimum in MODERN_TLS,
        f"the oldest protocol accepted is {minimum}",
        f"the gateway accepts {minimum}" if minimum else "the gateway's TLS policy is not known to require TLS 1.2",
        observed(resource.config, "properties.sslPolicy"),
        ("minProtocolVersion", minimum),
    )


field_rule(
    id="azure.network.waf_request_body_inspection",
    title="WAF policy inspects request bodies",
    severity="medium",
    category="network",
    resource_type=WAF_POLICY,
    path="properties.policySettings.requestBodyCheck",
    expect=True,
    ok="request bodies are inspected",
    bad="request bodies are not inspected",
    rationale="Without request body inspection, attacks in POST bodies (SQL injection, XSS) pass the WAF unseen.",
    remediation="Turn on request body inspection in the WAF policy's settings.",
    references=(DOCS + "web-application-firewall/ag/application-gateway-waf-request-size-limits",),
)


@rule(
    id="azure.network.waf_bot_protection",
    title="WAF policy has bot protection",
    severity="low",
    category="network",
    resource_type=WAF_POLICY,
    rationale="The bot manager rule set blocks known malicious bots and scanners.",
    remediation="Add the Microsoft_BotManagerRuleSet managed rule set to the WAF policy.",
    references=(DOCS + "web-application-firewall/ag/bot-protection",),
)
def waf_bot_protection(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    sets = observed(resource.config, "properties.managedRules.managedRuleSets")
    types = [str(s.get("ruleSetType")) for s in sets.value or []]
    return check(
        "Microsoft_BotManagerRuleSet" in types,
        "the bot manager rule set is on",
        "no bot manager rule set",
        ("properties.managedRules.managedRuleSets[].ruleSetType", types),
    )


field_rule(
    id="azure.network.bastion_host_exists",
    title="The subscription has an Azure Bastion host",
    severity="low",
    category="network",
    resource_type=BASTIONS,
    path="bastionHosts",
    expect=bool,
    ok=lambda hosts: f"{len(hosts or [])} Bastion host(s)",
    bad="no Bastion host",
    rationale="Bastion gives RDP and SSH to virtual machines without exposing those ports to the Internet.",
    remediation="Deploy an Azure Bastion host in the hub virtual network (AzureBastionSubnet).",
    references=(DOCS + "bastion/bastion-overview",),
)


field_rule(
    id="azure.network.app_gateway_http2",
    title="Application Gateway accepts HTTP/2",
    severity="low",
    category="network",
    resource_type="azure.network.application_gateway",
    path="properties.enableHttp2",
    expect=True,
    ok="HTTP/2 is enabled",
    bad="HTTP/2 is disabled (enableHttp2 = {value})",
    rationale="HTTP/2 is the protocol browsers prefer; its header compression and single connection per client "
    "are also more robust to slow-request resource exhaustion than HTTP/1.1.",
    remediation="az network application-gateway update -g RG -n GATEWAY --http2 Enabled",
    references=("https://learn.microsoft.com/azure/application-gateway/configuration-listeners#http2-support",),
)


@rule(
    id="azure.network.vpn_p2s_entra_only",
    title="VPN gateway point-to-site connections authenticate with Microsoft Entra ID only",
    severity="medium",
    category="identity",
    resource_type="azure.network.virtual_network_gateway",
    rationale="Entra ID authentication brings conditional access, MFA and account disabling to VPN users; "
    "client certificates and RADIUS passwords escape them and are rarely revoked.",
    remediation="Set the point-to-site configuration's tunnel type to OpenVPN and its authentication type to "
    "Azure Active Directory only; remove the root certificates and the RADIUS server.",
    references=("https://learn.microsoft.com/azure/vpn-gateway/openvpn-azure-ad-tenant",),
)
def vpn_p2s_entra_only(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    p = props(resource)
    client = p.get("vpnClientConfiguration")
    if str(p.get("gatewayType", "Vpn")).lower() != "vpn" or not isinstance(client, dict):
        return None  # an ExpressRoute gateway, or no point-to-site configuration
    types = observed(resource.config, "properties.vpnClientConfiguration.vpnAuthenticationTypes")
    found = [str(t) for t in types.value or []]
    if not found:  # gateways configured before the field existed: what is configured tells
        found = [
            kind
            for kind, present in (
                ("AAD", client.get("aadTenant")),
                ("Certificate", client.get("vpnClientRootCertificates")),
                ("Radius", client.get("radiusServerAddress") or client.get("radiusServers")),
            )
            if present
        ]
    return check(
        [t.lower() for t in found] == ["aad"],
        "point-to-site users authenticate with Entra ID only",
        f"point-to-site authentication types: {', '.join(found) or 'none set'}",
        types,
        observed(resource.config, "properties.vpnClientConfiguration.aadTenant"),
    )


@rule(
    id="azure.network.public_ip_in_use",
    title="Public IP address is attached to a resource",
    severity="low",
    category="network",
    resource_type="azure.network.public_ip",
    rationale="Public addresses should be reviewed periodically; an address attached to nothing serves no purpose, "
    "costs money and may be attached to the wrong resource later.",
    remediation="Review the subscription's public IP addresses; delete the unattached ones "
    "(az network public-ip delete -g RG -n NAME).",
    references=("https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses",),
)
def public_ip_in_use(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    address = observed(resource.config, "properties.ipAddress")
    attached = observed(resource.config, "properties.ipConfiguration.id")
    nat = observed(resource.config, "properties.natGateway.id")
    owner = attached.value or nat.value
    return check(
        bool(owner),
        f"{address.value or 'the address'} is attached to {str(owner).split('/providers/', 1)[-1]}",
        f"{address.value or 'the address'} is attached to nothing",
        address,
        attached if attached.value or not nat.value else nat,
    )


PERIMETERS = "azure.network.security_perimeters"


def _perimeter_rule(suffix: str, resource_type: str, what: str) -> None:
    @rule(
        id=f"azure.network.{suffix}_in_security_perimeter",
        title=f"{what} reachable from public networks is inside a network security perimeter",
        severity="low",
        category="network",
        resource_type=resource_type,
        rationale="A network security perimeter allows public traffic to platform services only by its own access "
        "rules, and logs it; a service open to public networks without one relies on its own firewall alone.",
        remediation=f"Associate the {what.lower()} with a network security perimeter profile in Enforced mode "
        "(or disable its public network access).",
        references=("https://learn.microsoft.com/azure/private-link/network-security-perimeter-concepts",),
    )
    def judge(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
        public = observed(resource.config, "properties.publicNetworkAccess")
        subscription = resource.uid.split("/")[2].lower() if resource.uid.count("/") > 2 else ""
        records = [
            r for r in ctx.resources(PERIMETERS) if str(r.config.get("subscriptionId", "")).lower() == subscription
        ]
        if str(public.value or "").lower() == "disabled":
            return passed("public network access is disabled: nothing for a perimeter to admit", public)
        if not records or records[0].config.get("_errors"):
            problem = (records[0].config.get("_errors") or {}).get("associations") if records else None
            return errored(f"the network security perimeters were not read{f': {problem}' if problem else ''}", public)
        mine = [
            a
            for a in records[0].config.get("associations") or []
            if str(a.get("resourceId") or "").lower() == resource.uid.lower()
        ]
        enforced = [a for a in mine if str(a.get("accessMode") or "").lower() == "enforced"]
        return check(
            bool(enforced),
            f"inside {', '.join(str(a['perimeter']).rsplit('/', 1)[-1] for a in enforced)} (Enforced)",
            "open to public networks and in no perimeter"
            if not mine
            else f"in a perimeter in {mine[0].get('accessMode')} mode only: its rules are not enforced",
            public,
            ("networkSecurityPerimeters.associations", mine),
        )

    judge.__name__ = f"{suffix}_in_security_perimeter"


_perimeter_rule("storage", "azure.storage.account", "Storage account")
_perimeter_rule("key_vault", "azure.keyvault.vault", "Key vault")


field_rule(
    id="azure.network.public_ip_not_basic_sku",
    title="Public IP address is not of the retired Basic SKU",
    severity="medium",
    category="network",
    resource_type="azure.network.public_ip",
    path="sku.name",
    expect=lambda v: bool(v) and str(v).lower() != "basic",
    ok="the address is of the {value} SKU",
    bad="the address is of the Basic SKU (or none): no SLA, open to inbound traffic by default, retired by Azure",
    rationale="Basic public IPs carry no availability SLA, accept inbound traffic unless an NSG says otherwise, and "
    "were retired on 30 September 2025; Standard ones are secure by default and zone-redundant.",
    remediation="Upgrade the address: az network public-ip update -g RG -n NAME --sku Standard (after "
    "dissociating it, see the upgrade guidance).",
    references=("https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-basic-upgrade-guidance",),
)
