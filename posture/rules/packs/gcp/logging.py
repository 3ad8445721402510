"""Cloud Logging rules: log sinks, and log-based metrics with alert policies.

These rules run on the ``gcp.logging.project`` record, which says whether the
sinks, metrics and alert policies could be read; an unreadable list gives
ERROR, never a false FAIL.
"""

from __future__ import annotations

import re

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.helpers import same_project
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, unreadable

LOGGING = "gcp.logging.project"


def normalize(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).replace("'", '"').lower()


@rule(
    id="gcp.logging.sink_all_entries",
    title="A log sink exports all log entries",
    severity="medium",
    category="logging",
    resource_type=LOGGING,
    rationale="A copy of every log entry outside the project survives the 30-day default retention and tampering.",
    remediation="Create a sink with an empty filter to Cloud Storage, BigQuery, Pub/Sub or a log bucket.",
)
def sink_all_entries(resource: ResourceRecord, ctx) -> Verdict:
    sinks = same_project(ctx, "gcp.logging.sink", resource)
    full = [s.name for s in sinks if not str(s.config.get("filter") or "").strip() and not s.config.get("disabled")]
    return unreadable(resource, "sinks") or check(
        bool(full),
        f"sink {', '.join(full)} exports every entry",
        "no enabled sink exports every log entry",
        ("sinks[filter empty]", full),
        ("sinks", [s.name for s in sinks]),
    )


def _alerting(resource: ResourceRecord, ctx, fragments: tuple[str, ...]) -> Verdict:
    problem = unreadable(resource, "metrics") or unreadable(resource, "alertPolicies")
    if problem:
        return problem
    metrics = [
        m.config.get("name") or m.name
        for m in same_project(ctx, "gcp.logging.metric", resource)
        if not m.config.get("disabled") and all(f in normalize(m.config.get("filter", "")) for f in fragments)
    ]
    alerted = []
    for policy in same_project(ctx, "gcp.monitoring.alert_policy", resource):
        c = policy.config
        if c.get("enabled") is False or not c.get("notificationChannels"):
            continue
        filters = [
            normalize(cond.get(kind, {}).get("filter", ""))
            for cond in c.get("conditions") or []
            for kind in ("conditionThreshold", "conditionAbsent")
        ]
        for metric in metrics:
            if any(f'metric.type="logging.googleapis.com/user/{metric.lower()}"' in f for f in filters):
                alerted.append({"metric": metric, "policy": c.get("name")})
    return check(
        bool(alerted),
        "a log-based metric with the CIS filter feeds an enabled alert policy with notification channels",
        "no enabled, notifying alert policy watches a log-based metric with the CIS filter"
        if metrics
        else "no log-based metric has the CIS filter",
        ("metrics[matching filter]", metrics),
        ("alertPolicies[enabled, notifying, on those metrics]", alerted),
    )


def _alert_rule(control: str, slug: str, title: str, what: str, fragments: tuple[str, ...]):
    def evaluate(resource: ResourceRecord, ctx) -> Verdict:
        return _alerting(resource, ctx, tuple(normalize(f) for f in fragments))

    evaluate.__name__ = f"alert_{slug}"
    return rule(
        id=f"gcp.logging.alert_{slug}",
        title=title,
        severity="medium" if control != "2.12" else "low",
        category="logging",
        resource_type=LOGGING,
        rationale=f"An alert on {what} tells the security team at once, while it can still be undone.",
        remediation=f"Create a log-based metric with the CIS filter for {what} and an alert policy on it with a "
        "notification channel.",
    )(evaluate)


ALERTS = (
    (
        "2.5",
        "project_ownership_changes",
        "project ownership assignments or changes",
        (
            'protoPayload.serviceName="cloudresourcemanager.googleapis.com"',
            "ProjectOwnership",
            "projectOwnerInvitee",
            'bindingDeltas.action="REMOVE"',
            'bindingDeltas.action="ADD"',
            'bindingDeltas.role="roles/owner"',
        ),
    ),
    (
        "2.6",
        "audit_config_changes",
        "audit configuration changes",
        ('protoPayload.methodName="SetIamPolicy"', "protoPayload.serviceData.policyDelta.auditConfigDeltas:*"),
    ),
    (
        "2.7",
        "custom_role_changes",
        "custom role changes",
        (
            'resource.type="iam_role"',
            "google.iam.admin.v1.CreateRole",
            "google.iam.admin.v1.DeleteRole",
            "google.iam.admin.v1.UpdateRole",
        ),
    ),
    (
        "2.8",
        "firewall_rule_changes",
        "VPC firewall rule changes",
        (
            'resource.type="gce_firewall_rule"',
            "compute.firewalls.patch",
            "compute.firewalls.insert",
            "compute.firewalls.delete",
        ),
    ),
    (
        "2.9",
        "route_changes",
        "VPC network route changes",
        ('resource.type="gce_route"', "compute.routes.delete", "compute.routes.insert"),
    ),
    (
        "2.10",
        "network_changes",
        "VPC network changes",
        (
            'resource.type="gce_network"',
            "compute.networks.insert",
            "compute.networks.patch",
            "compute.networks.delete",
            "compute.networks.removePeering",
            "compute.networks.addPeering",
        ),
    ),
    (
        "2.11",
        "bucket_iam_changes",
        "Cloud Storage IAM permission changes",
        ('resource.type="gcs_bucket"', 'protoPayload.methodName="storage.setIamPermissions"'),
    ),
    (
        "2.12",
        "sql_config_changes",
        "SQL instance configuration changes",
        ('protoPayload.methodName="cloudsql.instances.update"',),
    ),
)


for _control, _slug, _what, _fragments in ALERTS:
    _alert_rule(_control, _slug, f"Log metric and alert exist for {_what}", _what, _fragments)
