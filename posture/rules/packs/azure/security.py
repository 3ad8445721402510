"""Microsoft Defender for Cloud rules: plans and their server components, integrations, security contacts."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, failed, manual, observed, unreadable

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


SETTINGS = "azure.security.settings"


def _servers_plan(ctx: RuleContext) -> tuple[bool, Any]:
    """Whether Defender for Servers is on in the scanned subscription, and the evidence of its tier."""
    for pricing in ctx.resources(PRICING):
        if str(pricing.config.get("name", "")).lower() == "virtualmachines":
            tier = observed(pricing.config, "properties.pricingTier")
            return str(tier.value or "").lower() == "standard", ("pricings/VirtualMachines.pricingTier", tier.value)
    return False, ("pricings/VirtualMachines.pricingTier", None)


def extension_enabled(config: dict[str, Any], name: str) -> Any:
    """The ``isEnabled`` of a plan's extension ("True"/"False" as the API writes it); None where not listed."""
    for extension in (config.get("properties") or {}).get("extensions") or []:
        if str(extension.get("name", "")).lower() == name.lower():
            return extension.get("isEnabled")
    return None


def _is_true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


@rule(
    id="azure.security.defender_endpoint_integration",
    title="Defender for Cloud's Defender for Endpoint integration (endpoint protection) is on",
    severity="medium",
    category="workload",
    resource_type=SETTINGS,
    rationale="With the integration on, Defender for Servers onboards machines to Defender for Endpoint: "
    "endpoint detection and response, and vulnerability findings from the agent.",
    remediation="Defender for Cloud > Environment settings > Defender plans > Servers > Settings: turn on "
    "Endpoint protection (az security setting update -n WDATP --enabled true).",
    references=(DOCS + "integration-defender-for-endpoint",),
)
def defender_endpoint_integration(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "settings", "the Defender for Cloud settings")
    if problem:
        return problem
    settings = resource.config.get("settings") or []
    n, wdatp = next(((i, s) for i, s in enumerate(settings) if str(s.get("name", "")).upper() == "WDATP"), (None, None))
    enabled = (wdatp or {}).get("properties", {}).get("enabled") if isinstance(wdatp, dict) else None
    plan_on, plan = _servers_plan(ctx)
    evidence = (f"settings.{n}.properties.enabled" if n is not None else "settings[WDATP]", enabled)
    return check(
        enabled is True and plan_on,
        "endpoint protection (Defender for Endpoint) is on",
        "endpoint protection is off"
        + ("" if plan_on else ": Defender for Servers itself is off")
        + ("" if enabled is True else " (the WDATP setting is not enabled)"),
        evidence,
        plan,
    )


@rule(
    id="azure.security.defender_servers_vulnerability_assessment",
    title="Defender for Servers assesses machines for vulnerabilities (Defender Vulnerability Management)",
    severity="medium",
    category="workload",
    resource_type=SETTINGS,
    rationale="Vulnerability assessment lists the machines' missing patches and vulnerable software; without it "
    "they go unnoticed.",
    remediation="Defender for Cloud > Defender plans > Servers > Settings: turn on Vulnerability assessment for "
    "machines with Microsoft Defender Vulnerability Management.",
    references=(DOCS + "deploy-vulnerability-assessment-defender-vulnerability-management",),
)
def defender_servers_vulnerability_assessment(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(
        resource, "serverVulnerabilityAssessmentsSettings", "the server vulnerability assessment settings"
    )
    if problem:
        return problem
    items = resource.config.get("serverVulnerabilityAssessmentsSettings") or []
    providers = [
        (item.get("properties") or {}).get("selectedProvider")
        for item in items
        if str(item.get("kind") or item.get("name") or "").lower() == "azureserverssetting"
    ]
    plan_on, plan = _servers_plan(ctx)
    chosen = any(str(p).lower() == "mdetvm" for p in providers)
    return check(
        chosen and plan_on,
        "machines are assessed by Defender Vulnerability Management",
        "vulnerability assessment for machines is off"
        + ("" if plan_on else ": Defender for Servers itself is off")
        + ("" if chosen else " (no AzureServersSetting selects MdeTvm)"),
        ("serverVulnerabilityAssessmentsSettings.selectedProvider", providers),
        plan,
    )


def _servers_extension_rule(suffix: str, extension: str, title: str, rationale: str, doc: str) -> None:
    @rule(
        id=f"azure.security.defender_servers_{suffix}",
        title=f"Defender for Servers' {title} is on",
        severity="medium",
        category="workload",
        resource_type=PRICING,
        rationale=rationale,
        remediation=f"Defender for Cloud > Defender plans > Servers > Settings: turn on {title} (the "
        f"{extension} extension of the VirtualMachines pricing).",
        references=(DOCS + doc,),
    )
    def judge(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
        if str(resource.config.get("name", "")).lower() != "virtualmachines":
            return None
        tier = observed(resource.config, "properties.pricingTier")
        value = extension_enabled(resource.config, extension)
        evidence = (f"properties.extensions[{extension}].isEnabled", value)
        if _is_true(value) and str(tier.value or "").lower() == "standard":
            return check(True, f"{title} is on", "", evidence, tier)
        if extension == "AgentlessVmScanning":  # Defender CSPM's agentless scanning covers the machines too
            for pricing in ctx.resources(PRICING):
                if str(pricing.config.get("name", "")).lower() == "cloudposture" and _is_true(
                    extension_enabled(pricing.config, extension)
                ):
                    cspm = ("pricings/CloudPosture.extensions[AgentlessVmScanning].isEnabled", "True")
                    return check(True, f"{title} is on through Defender CSPM", "", evidence, cspm)
        off = "Defender for Servers is off" if str(tier.value or "").lower() != "standard" else f"{title} is off"
        return check(False, "", off, evidence, tier)

    judge.__name__ = f"defender_servers_{suffix}"


_servers_extension_rule(
    "agentless_scanning",
    "AgentlessVmScanning",
    "agentless scanning for machines",
    "Agentless scanning reads disk snapshots for vulnerable software and plain-text secrets, also on machines "
    "without an agent.",
    "concept-agentless-data-collection",
)
_servers_extension_rule(
    "file_integrity_monitoring",
    "FileIntegrityMonitoring",
    "file integrity monitoring",
    "File integrity monitoring reports changes to system files and registry keys, a sign of compromise.",
    "file-integrity-monitoring-overview",
)


@rule(
    id="azure.security.contact_attack_path_notifications",
    title="Defender for Cloud emails attack paths of a chosen risk level or higher",
    severity="medium",
    category="logging",
    resource_type=CONTACT,
    rationale="An attack path is a chain of weaknesses leading to a valuable resource; an email brings the new "
    "ones to the security team instead of waiting in the portal.",
    remediation="Defender for Cloud > Environment settings > Email notifications: turn on 'Notify about attack "
    "paths with the following risk level (or higher)' and choose a level.",
    references=(DOCS + "configure-email-notifications",),
)
def contact_attack_path_notifications(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    missing = _missing(resource)
    if missing:
        return missing
    enabled = observed(resource.config, "properties.isEnabled")
    sources = observed(resource.config, "properties.notificationsSources")
    attack: dict[str, Any] = next(
        (s for s in sources.value or [] if str(s.get("sourceType", "")).lower() == "attackpath"), {}
    )
    level = attack.get("minimalRiskLevel")
    return check(
        enabled.value is not False and bool(level),
        f"attack paths of risk {level} or higher are emailed",
        "attack path notifications are off" + (" (the contact is disabled)" if enabled.value is False else ""),
        enabled,
        sources,
    )


@rule(
    id="azure.security.benchmark_policies_not_disabled",
    title="The Microsoft cloud security benchmark is assigned with no policy set to Disabled",
    severity="medium",
    category="logging",
    resource_type="azure.security.benchmark_assignments",
    rationale="Defender for Cloud's recommendations come from the benchmark's policies; a policy whose effect is "
    "Disabled silently stops the recommendation for every resource.",
    remediation="Defender for Cloud > Environment settings > Security policies: set the disabled policies back to "
    "their default effect (AuditIfNotExists or Audit), unless they are deprecated.",
    references=(DOCS + "security-policy-concept",),
)
def benchmark_policies_not_disabled(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "assignments", "the subscription's policy assignments")
    if problem:
        return problem
    assignments = resource.config.get("assignments") or []
    if not assignments:
        return failed("the Microsoft cloud security benchmark is not assigned", ("assignments", []))
    disabled = sorted(
        f"{a.get('name')}:{name}"
        for a in assignments
        for name, parameter in ((a.get("properties") or {}).get("parameters") or {}).items()
        if name.lower().endswith("effect")
        and isinstance(parameter, dict)
        and str(parameter.get("value", "")).lower() == "disabled"
    )
    evidence = ("assignments.parameters[*Effect=Disabled]", disabled)
    if disabled:  # whether each disabled policy is deprecated takes its definition: a person decides
        return manual(f"{len(disabled)} benchmark policies are Disabled: check that each is deprecated", evidence)
    return check(True, "no benchmark policy is Disabled", "", evidence)


@rule(
    id="azure.security.defender_easm_workspace",
    title="Defender External Attack Surface Management has a workspace",
    severity="low",
    category="logging",
    resource_type="azure.security.easm_workspaces",
    rationale="Defender EASM discovers the organisation's Internet-facing assets, including the forgotten ones, "
    "and their vulnerabilities, as an attacker would.",
    remediation="Create a Defender EASM workspace (Microsoft.Easm/workspaces) and seed it with the organisation's "
    "domains and address ranges.",
    references=("https://learn.microsoft.com/azure/external-attack-surface-management/",),
)
def defender_easm_workspace(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "workspaces", "the Defender EASM workspaces")
    if problem:
        return problem
    names = [str(w.get("name")) for w in resource.config.get("workspaces") or []]
    return check(
        bool(names),
        f"Defender EASM workspace(s): {', '.join(names)}",
        "no Defender EASM workspace in the subscription",
        ("workspaces", names),
    )


def _enabled_solutions(solutions: Any) -> list[Any]:
    return [s.get("id") for s in solutions or [] if str(s.get("status", "")).lower() == "enabled"]


field_rule(
    id="azure.security.defender_iot_hub",
    title="Defender for IoT protects the IoT hub",
    severity="medium",
    category="logging",
    resource_type="azure.security.iot_hub_protection",
    path="_securitySolutions",
    expect=lambda v: bool(_enabled_solutions(v)),
    ok="an enabled IoT security solution covers the hub",
    bad=lambda v: "no enabled IoT security solution covers the hub" + (" (a disabled one does)" if v else ""),
    rationale="Defender for IoT watches the hub and its devices for threats and insecure configuration; without "
    "it a compromised device goes unnoticed.",
    remediation="IoT Hub > Defender for IoT > Settings: enable Microsoft Defender for IoT (an IoT security "
    "solution covering the hub).",
    references=("https://learn.microsoft.com/azure/defender-for-iot/device-builders/quickstart-onboard-iot-hub",),
)


@rule(
    id="azure.security.system_updates_checked",
    title="Defender for Cloud checks machines for missing system updates",
    severity="medium",
    category="workload",
    resource_type="azure.security.benchmark_assignments",
    rationale="The benchmark's system update policies make Defender for Cloud assess machines for missing OS "
    "patches and recommend them; with their effect Disabled, unpatched machines go unreported.",
    remediation="Defender for Cloud > Environment settings > Security policies > Microsoft cloud security "
    "benchmark: set the system update policies ('Machines should be configured to periodically check for missing "
    "system updates', 'System updates should be installed on your machines') back to their default effect.",
    references=(DOCS + "enable-periodic-system-updates",),
)
def system_updates_checked(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "assignments", "the subscription's policy assignments")
    if problem:
        return problem
    assignments = resource.config.get("assignments") or []
    if not assignments:
        return failed(
            "the Microsoft cloud security benchmark is not assigned: no system update check", ("assignments", [])
        )
    effects = {
        f"{a.get('name')}:{name}": parameter.get("value")
        for a in assignments
        for name, parameter in ((a.get("properties") or {}).get("parameters") or {}).items()
        if "systemupdate" in name.lower() and name.lower().endswith("effect") and isinstance(parameter, dict)
    }
    disabled = sorted(name for name, value in effects.items() if str(value).lower() == "disabled")
    return check(
        not disabled,
        "the system update policies keep their effect" + ("" if effects else " (their defaults)"),
        f"system update checks are Disabled: {', '.join(disabled)}",
        ("assignments.parameters[*SystemUpdates*Effect]", effects),
    )
