"""Public IP addresses, and PaaS resources outside a network security perimeter."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, errored, observed, passed


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
