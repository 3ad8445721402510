"""Application Gateway, WAF policies, Bastion and VPN gateways."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import props
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, observed

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
