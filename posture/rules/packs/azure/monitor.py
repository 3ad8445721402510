"""Activity log rules (diagnostic settings, their storage's encryption, the activity log alerts) and
Application Insights."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import enabled_categories, has_destination
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, lookup, manual, observed, unreadable

ACTIVITY_LOG = "azure.monitor.activity_log"
DOCS = "https://learn.microsoft.com/azure/azure-monitor/"
REQUIRED_CATEGORIES = ("Administrative", "Alert", "Policy", "Security")
# (rule id suffix, CIS title words, operationName or None for the category condition)
ALERTS: tuple[tuple[str, str, str | None], ...] = (
    ("policy_assignment_write", "Create Policy Assignment", "Microsoft.Authorization/policyAssignments/write"),
    ("policy_assignment_delete", "Delete Policy Assignment", "Microsoft.Authorization/policyAssignments/delete"),
    ("nsg_write", "Create or Update Network Security Group", "Microsoft.Network/networkSecurityGroups/write"),
    ("nsg_delete", "Delete Network Security Group", "Microsoft.Network/networkSecurityGroups/delete"),
    ("security_solution_write", "Create or Update Security Solution", "Microsoft.Security/securitySolutions/write"),
    ("security_solution_delete", "Delete Security Solution", "Microsoft.Security/securitySolutions/delete"),
    (
        "sql_firewall_rule_write",
        "Create or Update SQL Server Firewall Rule",
        "Microsoft.Sql/servers/firewallRules/write",
    ),
    ("sql_firewall_rule_delete", "Delete SQL Server Firewall Rule", "Microsoft.Sql/servers/firewallRules/delete"),
    ("public_ip_write", "Create or Update Public IP Address", "Microsoft.Network/publicIPAddresses/write"),
    ("public_ip_delete", "Delete Public IP Address", "Microsoft.Network/publicIPAddresses/delete"),
    ("service_health", "Service Health", None),
)


def _conditions(alert: dict[str, Any]) -> list[dict[str, Any]]:
    """The leaf conditions of an alert (allOf items, and anyOf items nested in them)."""
    leaves = []
    for item in (alert.get("properties") or {}).get("condition", {}).get("allOf") or []:
        leaves.append(item)
        leaves.extend(item.get("anyOf") or [])
    return leaves


def _matches(leaf: dict[str, Any], field: str, value: str) -> bool:
    if str(leaf.get("field", "")).lower() != field.lower():
        return False
    candidates = [leaf.get("equals"), *(leaf.get("containsAny") or [])]
    return any(str(c or "").lower() == value.lower() for c in candidates)


def alert_covers(alert: dict[str, Any], subscription_id: str, operation: str | None) -> bool:
    """An enabled alert with an action group, scoped to the subscription, on ``operation`` (or ServiceHealth)."""
    p = alert.get("properties") or {}
    if p.get("enabled") is False or not (p.get("actions") or {}).get("actionGroups"):
        return False
    scopes = [str(s).lower().rstrip("/") for s in p.get("scopes") or []]
    if f"/subscriptions/{subscription_id}".lower() not in scopes:
        return False
    leaves = _conditions(alert)
    if operation is None:
        return any(_matches(leaf, "category", "ServiceHealth") for leaf in leaves)
    return any(_matches(leaf, "operationName", operation) for leaf in leaves)


def _alert_rule(suffix: str, words: str, operation: str | None) -> None:
    rule_id = f"azure.monitor.alert_{suffix}"
    what = f"'{operation}'" if operation else "Service Health events"

    @rule(
        id=rule_id,
        title=f"Activity log alert exists for {words}",
        severity="low" if operation is None else "medium",
        category="logging",
        resource_type=ACTIVITY_LOG,
        rationale=f"An alert on {what} tells the security team about the change as it happens.",
        remediation=f"Create an activity log alert at subscription scope on {what} with an action group "
        "(az monitor activity-log alert create).",
        references=(DOCS + "alerts/alerts-create-activity-log-alert-rule",),
    )
    def judge(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
        subscription_id = str(resource.config.get("subscriptionId", ""))
        alerts = resource.config.get("activityLogAlerts") or []
        covering = [a.get("name") for a in alerts if alert_covers(a, subscription_id, operation)]
        near = [
            a.get("name")
            for a in alerts
            if a.get("name") not in covering
            and any(
                _matches(leaf, "operationName" if operation else "category", operation or "ServiceHealth")
                for leaf in _conditions(a)
            )
        ]
        bad = f"no enabled alert with an action group covers {what}"
        if near:
            bad += f" (disabled, unscoped or without action group: {', '.join(str(n) for n in near)})"
        return check(
            bool(covering),
            f"alerted by {', '.join(str(c) for c in covering)}",
            bad,
            ("activityLogAlerts", [a.get("name") for a in alerts]),
        )

    judge.__name__ = f"alert_{suffix}"


for _suffix, _words, _operation in ALERTS:
    _alert_rule(_suffix, _words, _operation)


@rule(
    id="azure.monitor.activity_log_exported",
    title="A diagnostic setting exports the subscription's activity log",
    severity="medium",
    category="logging",
    resource_type=ACTIVITY_LOG,
    rationale="The activity log is kept 90 days only; a diagnostic setting keeps it longer and makes it searchable.",
    remediation="Create a subscription diagnostic setting sending the activity log to a Log Analytics workspace, "
    "storage account or event hub.",
    references=(DOCS + "essentials/activity-log#send-to-log-analytics-workspace",),
)
def activity_log_exported(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "diagnosticSettings", "the subscription's diagnostic settings")
    if problem:
        return problem
    settings = resource.config.get("diagnosticSettings") or []
    exporting = [s.get("name") for s in settings if has_destination(s)]
    return check(
        bool(exporting),
        f"the activity log is exported by {', '.join(str(e) for e in exporting)}",
        "no diagnostic setting exports the activity log",
        observed(resource.config, "diagnosticSettings"),
    )


@rule(
    id="azure.monitor.activity_log_categories",
    title="The activity log export captures Administrative, Alert, Policy and Security",
    severity="medium",
    category="logging",
    resource_type=ACTIVITY_LOG,
    rationale="These categories hold the control-plane changes, alerts and policy decisions investigations need.",
    remediation="Enable the Administrative, Alert, Policy and Security categories on the subscription diagnostic "
    "setting.",
    references=(DOCS + "essentials/activity-log-schema",),
)
def activity_log_categories(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "diagnosticSettings", "the subscription's diagnostic settings")
    if problem:
        return problem
    settings = [s for s in resource.config.get("diagnosticSettings") or [] if has_destination(s)]
    sent: set[str] = set()
    for setting in settings:
        sent |= enabled_categories(setting)
    missing = [] if "alllogs" in sent else [c for c in REQUIRED_CATEGORIES if c.lower() not in sent]
    return check(
        bool(settings) and not missing,
        "Administrative, Alert, Policy and Security are exported",
        f"not exported: {', '.join(missing) if settings else ', '.join(REQUIRED_CATEGORIES)}",
        ("diagnosticSettings.categories", sorted(sent)),
    )


@rule(
    id="azure.monitor.application_insights_configured",
    title="The subscription has Application Insights for its applications",
    severity="low",
    category="logging",
    resource_type="azure.monitor.application_insights",
    rationale="Application Insights records requests, failures and dependencies of the applications: what an "
    "investigation of an application-level attack starts from.",
    remediation="Create an Application Insights resource (workspace-based) and connect the applications to it "
    "(az monitor app-insights component create).",
    references=(DOCS + "app/app-insights-overview",),
)
def application_insights_configured(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "components", "the Application Insights components")
    if problem:
        return problem
    components = resource.config.get("components") or []
    names = [str(c.get("name")) for c in components]
    return check(
        bool(components),
        f"{len(components)} Application Insights component(s): {', '.join(names)}",
        "no Application Insights component in the subscription",
        ("components", names),
    )


@rule(
    id="azure.monitor.activity_log_storage_cmk",
    title="The storage account receiving the activity log is encrypted with a customer-managed key",
    severity="low",
    category="encryption",
    resource_type=ACTIVITY_LOG,
    rationale="A customer-managed key puts access to the archived activity log under the organisation's own key "
    "vault: revoking the key makes the archive unreadable to anyone.",
    remediation="az storage account update -g RG -n ACCOUNT --encryption-key-source Microsoft.Keyvault "
    "--encryption-key-vault URI --encryption-key-name KEY",
    references=("https://learn.microsoft.com/azure/storage/common/customer-managed-keys-configure-existing-account",),
)
def activity_log_storage_cmk(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    problem = unreadable(resource, "diagnosticSettings", "the subscription's diagnostic settings")
    if problem:
        return problem
    targets = sorted(
        {
            str((s.get("properties") or {}).get("storageAccountId"))
            for s in resource.config.get("diagnosticSettings") or []
            if (s.get("properties") or {}).get("storageAccountId")
        }
    )
    if not targets:
        return None  # the activity log goes to no storage account
    accounts = {r.uid.lower(): r for r in ctx.resources("azure.storage.account")}
    found: dict[str, Any] = {}
    for target in targets:
        account = accounts.get(target.lower())
        found[target] = None if account is None else lookup(account.config, "properties.encryption.keySource")
    evidence = ("diagnosticSettings.storageAccountId -> properties.encryption.keySource", found)
    platform = [
        t.rsplit("/", 1)[-1] for t, source in found.items() if source and str(source).lower() != "microsoft.keyvault"
    ]
    unseen = [t.rsplit("/", 1)[-1] for t, source in found.items() if source is None]
    if platform:
        return check(False, "", f"encrypted with Microsoft-managed keys: {', '.join(platform)}", evidence)
    if unseen:
        return manual(f"not in this scan, check its encryption: {', '.join(unseen)}", evidence)
    return check(True, "the activity log's storage is encrypted with a customer-managed key", "", evidence)
