"""Estate builders for governance: activity log alerts, diagnostic settings, role assignments and
definitions, Defender plans and security contacts, as ARM returns them."""

from __future__ import annotations

from typing import Any

from emulators.azure.estate import merge, rg_id


def activity_log_alert(
    sub: str,
    rg: str,
    name: str,
    operation: str = "",
    *,
    category: str = "Administrative",
    enabled: bool = True,
    action_group: bool = True,
) -> dict[str, Any]:
    conditions = [{"field": "category", "equals": category}]
    if operation:
        conditions.append({"field": "operationName", "equals": operation})
    groups = (
        [
            {
                "actionGroupId": f"{rg_id(sub, rg)}/providers/microsoft.insights/actionGroups/secops",
                "webhookProperties": {},
            }
        ]
        if action_group
        else []
    )
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Insights/activityLogAlerts/{name}",
        "name": name,
        "type": "Microsoft.Insights/ActivityLogAlerts",
        "location": "Global",
        "tags": {},
        "properties": {
            "scopes": [f"/subscriptions/{sub}"],
            "condition": {"allOf": conditions},
            "actions": {"actionGroups": groups},
            "enabled": enabled,
            "description": f"Alert on {operation or category}",
        },
    }


def diagnostic_setting(
    scope: str, name: str, categories: list[str], *, workspace: str = "", storage: str = "", group: str = ""
) -> dict[str, Any]:
    logs = [{"category": c, "categoryGroup": None, "enabled": True} for c in categories]
    if group:
        logs.append({"category": None, "categoryGroup": group, "enabled": True})
    return {
        "id": f"{scope}/providers/microsoft.insights/diagnosticSettings/{name}",
        "name": name,
        "type": "Microsoft.Insights/diagnosticSettings",
        "properties": {
            "storageAccountId": storage or None,
            "workspaceId": workspace or None,
            "eventHubAuthorizationRuleId": None,
            "eventHubName": None,
            "logs": logs,
            "metrics": [],
            "logAnalyticsDestinationType": None,
        },
    }


def role_assignment(scope: str, guid: str, role: str, principal: str, principal_type: str = "User") -> dict[str, Any]:
    sub = scope.split("/")[2]
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": principal,
            "principalType": principal_type,
            "scope": scope,
            "createdOn": "2024-02-01T10:00:00.0000000Z",
            "updatedOn": "2024-02-01T10:00:00.0000000Z",
        },
    }


def custom_role(sub: str, guid: str, name: str, actions: list[str], scopes: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "CustomRole",
            "description": name,
            "assignableScopes": scopes or [f"/subscriptions/{sub}"],
            "permissions": [{"actions": actions, "notActions": [], "dataActions": [], "notDataActions": []}],
            "createdOn": "2024-02-01T10:00:00.0000000Z",
            "updatedOn": "2024-02-01T10:00:00.0000000Z",
        },
    }


def pricing(sub: str, plan: str, tier: str = "Standard", sub_plan: str | None = None, **props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"pricingTier": tier, "freeTrialRemainingTime": "PT0S", "deprecated": False}
    if tier == "Standard":
        base["enablementTime"] = "2024-01-01T00:00:00.0000000Z"
    if sub_plan:
        base["subPlan"] = sub_plan
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Security/pricings/{plan}",
        "name": plan,
        "type": "Microsoft.Security/pricings",
        "properties": merge(base, props),
    }


def security_contact(
    sub: str,
    emails: str = "secops@example.com",
    alerts: str = "On",
    severity: str = "Medium",
    roles: list[str] | None = None,
    by_role: str = "On",
) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Security/securityContacts/default",
        "name": "default",
        "type": "Microsoft.Security/securityContacts",
        "properties": {
            "emails": emails,
            "phone": "",
            "alertNotifications": {"state": alerts, "minimalSeverity": severity},
            "notificationsByRole": {"state": by_role, "roles": roles if roles is not None else ["Owner"]},
        },
    }
