"""What an issue says: its group (one finding, or control x account), unique label, fields and comments."""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from typing import Any

from posture.findings.models import Finding
from posture.integrations.jira.content import Block, render
from posture.integrations.models import Grouping, JiraConnection
from posture.integrations.payloads import finding_url, rule_facts
from posture.rules.frameworks import FrameworkError, catalog
from posture.rules.verdicts import Status

SUMMARY_MAX = 255
PLACEHOLDERS = ("severity", "account", "team", "provider", "rule_id", "resource_uid", "control")


@dataclass(frozen=True)
class Group:
    key: str
    framework: str = ""
    control: str = ""

    @property
    def per_finding(self) -> bool:
        return self.key.startswith("finding:")


def group_of(connection: JiraConnection, finding: Finding) -> Group:
    if connection.grouping != Grouping.CONTROL:
        return Group(f"finding:{finding.pk}")
    fw = connection.group_framework
    controls = sorted(c for f, c in catalog().controls_for_rule(finding.rule_id) if f == fw)
    if controls:
        return Group(f"control:{fw}:{controls[0]}:{finding.account_id}", fw, controls[0])
    return Group(f"rule:{finding.rule_id}:{finding.account_id}")


def unique_label(connection: JiraConnection, group: Group) -> str:
    """A label no other group carries: how a lost issue key is found again by search."""
    digest = hashlib.sha256(group.key.encode()).hexdigest()[:12]
    return f"posture-{connection.label_namespace}-{digest}"


def group_findings(group: Group, finding: Finding) -> list[Finding]:
    """The group's failing findings (for a per-finding group: the finding itself)."""
    if group.per_finding:
        return [finding]
    rules = catalog().get(group.framework).control(group.control).rules if group.control else (finding.rule_id,)
    failing = Finding.objects.filter(account_id=finding.account_id, rule_id__in=rules, status=Status.FAIL)
    found = list(failing.select_related("resource").order_by("resource_uid")[:200])
    return found if any(f.pk == finding.pk for f in found) else [finding, *found]


def control_title(group: Group) -> str:
    try:
        return catalog().get(group.framework).control(group.control).title
    except (FrameworkError, KeyError):
        return group.control


def summary(group: Group, finding: Finding) -> str:
    account = finding.account.name
    if group.control:
        text = f"[Posture] {group.framework} {group.control} {control_title(group)} on {account}"
    elif not group.per_finding:
        text = f"[Posture] {rule_facts(finding.rule_id)['title']} on {account}"
    else:
        where = finding.resource.name or finding.resource_uid
        text = f"[Posture] {finding.severity.upper()}: {rule_facts(finding.rule_id)['title']} on {where} ({account})"
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def resource_line(f: Finding) -> list[Any]:
    return [f"{f.resource_uid} - {f.message or f.status} ", ("open in Posture", finding_url(f.pk))]


def description(group: Group, finding: Finding, members: list[Finding]) -> list[Block]:
    facts = rule_facts(finding.rule_id)
    account = finding.account
    blocks: list[Block] = [
        ("p", [f"Posture found a failing check in account {account.name} ({account.provider})."]),
        ("h", facts["title"]),
        ("p", [f"Rule {finding.rule_id}, severity {finding.severity}."]),
    ]
    if group.per_finding:
        blocks.append(("p", [f"Resource: {finding.resource_uid}", f" ({finding.resource.type})"]))
        blocks.append(("p", [finding.message or "failing"]))
        evidence = [[f"{e.get('path')} = {e.get('value')!r}"] for e in finding.evidence if isinstance(e, dict)]
        if evidence:
            blocks += [("p", ["Evidence:"]), ("ul", evidence)]
        blocks.append(("p", [("Open the finding in Posture", finding_url(finding.pk))]))
    else:
        if group.control:
            blocks.append(("p", [f"Control {group.control} of {group.framework}: {control_title(group)}."]))
        blocks += [("p", [f"Failing resources ({len(members)}):"]), ("ul", [resource_line(m) for m in members])]
    if facts["remediation"]:
        blocks += [("h", "Remediation"), ("p", [facts["remediation"]])]
    if account.team:
        blocks.append(("p", [f"Team: {account.team}"]))
    return blocks


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(value: Any, facts: dict[str, str]) -> Any:
    """Placeholders such as ``{severity}`` in a custom field value (strings at any depth)."""
    if isinstance(value, str):
        return string.Formatter().vformat(value, (), _Blank(facts))
    if isinstance(value, list):
        return [fill(v, facts) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, facts) for k, v in value.items()}
    return value


def issue_fields(connection: JiraConnection, group: Group, finding: Finding, label: str) -> dict[str, Any]:
    members = group_findings(group, finding)
    fields: dict[str, Any] = {
        "project": {"key": connection.project_key},
        "issuetype": {"name": connection.issue_type},
        "summary": summary(group, finding),
        "description": render(description(group, finding, members), connection.flavor == "cloud"),
        "labels": [*connection.labels, "posture", label],
    }
    severity = max((m.severity for m in members), key=SEVERITY_RANK.get, default=finding.severity)
    priority = (connection.priorities or {}).get(severity)
    if priority:
        fields["priority"] = {"name": priority}
    facts = {
        "severity": severity,
        "account": finding.account.name,
        "team": finding.account.team,
        "provider": finding.account.provider,
        "rule_id": finding.rule_id,
        "resource_uid": finding.resource_uid,
        "control": group.control,
    }
    for field_id, value in (connection.custom_fields or {}).items():
        fields[field_id] = fill(value, facts)
    return fields


SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def comment_blocks(text: str, finding: Finding) -> list[Block]:
    return [("p", [text, " "]), ("p", [("Open the finding in Posture", finding_url(finding.pk))])]
