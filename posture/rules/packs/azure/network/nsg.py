"""Network security groups, flow logs, Network Watcher and virtual networks."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import OPEN_SOURCES, props
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Evidence, Verdict, check, failed, observed, passed

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
