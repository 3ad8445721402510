"""Microsoft Defender for Cloud rules: plans and security contacts."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, failed, observed

PRICING = "azure.security.pricing"


CONTACT = "azure.security.contact"


DOCS = "https://learn.microsoft.com/azure/defender-for-cloud/"


# (rule id suffix, pricing name, plan title)
PLANS = (
    ("cspm", "CloudPosture", "Defender CSPM"),
    ("apis", "Api", "Defender for APIs"),
    ("servers", "VirtualMachines", "Defender for Servers"),
    ("containers", "Containers", "Defender for Containers"),
    ("storage", "StorageAccounts", "Defender for Storage"),
    ("app_services", "AppServices", "Defender for App Service"),
    ("cosmos_db", "CosmosDbs", "Defender for Azure Cosmos DB"),
    ("open_source_databases", "OpenSourceRelationalDatabases", "Defender for open-source relational databases"),
    ("sql_databases", "SqlServers", "Defender for Azure SQL Databases"),
    ("sql_servers_on_machines", "SqlServerVirtualMachines", "Defender for SQL servers on machines"),
    ("key_vault", "KeyVaults", "Defender for Key Vault"),
    ("resource_manager", "Arm", "Defender for Resource Manager"),
)


def _plan_rule(suffix: str, plan: str, title: str) -> None:
    @rule(
        id=f"azure.security.defender_{suffix}",
        title=f"{title} is on",
        severity="high" if plan in ("Containers", "VirtualMachines", "CloudPosture") else "medium",
        category="logging",
        resource_type=PRICING,
        rationale=f"{title} detects threats and misconfigurations for the resources it covers; the Free tier does not.",
        remediation=f"az security pricing create -n {plan} --tier Standard",
        references=(DOCS + "enable-enhanced-security",),
    )
    def judge(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
        if str(resource.config.get("name", "")).lower() != plan.lower():
            return None
        tier = observed(resource.config, "properties.pricingTier")
        return check(
            str(tier.value or "").lower() == "standard",
            f"{title} is on (Standard)",
            f"{title} is off ({tier.value})",
            tier,
            observed(resource.config, "properties.subPlan"),
        )

    judge.__name__ = f"defender_{suffix}"


for _suffix, _plan, _title in PLANS:
    _plan_rule(_suffix, _plan, _title)


def _missing(resource: ResourceRecord) -> Verdict | None:
    if resource.config.get("_missing"):
        return failed("the subscription has no security contact", ("properties", None))
    return None


@rule(
    id="azure.security.contact_notifies_owners",
    title="Defender for Cloud emails alerts to subscription Owners",
    severity="medium",
    category="logging",
    resource_type=CONTACT,
    rationale="Owners can act on an alert; notifying them by role reaches whoever holds the role today.",
    remediation="Defender for Cloud > Environment settings > Email notifications: notify the Owner role.",
    references=(DOCS + "configure-email-notifications",),
)
def contact_notifies_owners(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    missing = _missing(resource)
    if missing:
        return missing
    state = observed(resource.config, "properties.notificationsByRole.state")
    roles = observed(resource.config, "properties.notificationsByRole.roles")
    return check(
        str(state.value).lower() == "on" and "owner" in [str(r).lower() for r in roles.value or []],
        "alerts are emailed to Owners",
        "alerts are not emailed to Owners",
        state,
        roles,
    )


@rule(
    id="azure.security.contact_email",
    title="Defender for Cloud has a security contact email",
    severity="medium",
    category="logging",
    resource_type=CONTACT,
    rationale="Microsoft and Defender for Cloud need an address to reach the security team about incidents.",
    remediation="az security contact create -n default --emails secops@example.com",
    references=(DOCS + "configure-email-notifications",),
)
def contact_email(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    missing = _missing(resource)
    if missing:
        return missing
    emails = observed(resource.config, "properties.emails")
    return check(
        bool(str(emails.value or "").strip()),
        "a security contact email is set",
        "no security contact email is set",
        emails,
    )


@rule(
    id="azure.security.contact_alert_notifications",
    title="Defender for Cloud emails alerts of a chosen severity or higher",
    severity="medium",
    category="logging",
    resource_type=CONTACT,
    rationale="Without alert notifications high-severity alerts wait in the portal until someone looks.",
    remediation="Turn on 'Notify about alerts with the following severity (or higher)' and choose a severity.",
    references=(DOCS + "configure-email-notifications",),
)
def contact_alert_notifications(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    missing = _missing(resource)
    if missing:
        return missing
    state = observed(resource.config, "properties.alertNotifications.state")
    severity = observed(resource.config, "properties.alertNotifications.minimalSeverity")
    if state.value is None and "notificationsSources" in (resource.config.get("properties") or {}):
        # the 2023-12-01-preview shape: isEnabled + notificationsSources[sourceType=Alert]
        enabled = observed(resource.config, "properties.isEnabled")
        sources = observed(resource.config, "properties.notificationsSources")
        alert: dict[str, Any] = next((s for s in sources.value or [] if str(s.get("sourceType")) == "Alert"), {})
        return check(
            enabled.value is True and bool(alert.get("minimalSeverity")),
            f"alerts of severity {alert.get('minimalSeverity')} or higher are emailed",
            "alert notifications are off",
            enabled,
            sources,
        )
    return check(
        str(state.value).lower() == "on" and bool(severity.value),
        f"alerts of severity {severity.value} or higher are emailed",
        "alert notifications are off",
        state,
        severity,
    )
