"""Keep a Jira issue true to its finding(s): create once, comment, close on resolve, reopen on regression.

Never a duplicate: before creating, the stored :class:`Ticket` is looked up, and if there is none
(say a worker died between Jira's 201 and our commit) Jira is searched for the group's unique label.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from posture.findings.models import Finding
from posture.integrations.jira.client import JiraClient, JiraError
from posture.integrations.jira.content import render
from posture.integrations.jira.issues import (
    Group,
    comment_blocks,
    group_findings,
    group_of,
    issue_fields,
    unique_label,
)
from posture.integrations.models import Delivery, Event, JiraConnection, Ticket
from posture.integrations.outcome import Outcome
from posture.rules.verdicts import Status

OPENING = (Event.NEW_FAILURE, Event.REGRESSION, Event.TICKET_REQUESTED)


def client_for(connection: JiraConnection) -> JiraClient:
    return JiraClient(connection.flavor, connection.base_url, connection.token, connection.email)


def store_ticket(connection: JiraConnection, group: Group, issue: dict[str, Any], label: str) -> Ticket:
    """Remember the issue key (idempotent: a second store of the same group returns the first row)."""
    try:
        with transaction.atomic():
            return Ticket.objects.create(
                connection=connection,
                group_key=group.key,
                key=issue["key"],
                issue_id=str(issue.get("id", "")),
                label=label,
            )
    except IntegrityError:
        return Ticket.objects.get(connection=connection, group_key=group.key)


def is_done(status: dict[str, Any]) -> bool:
    return (status.get("statusCategory") or {}).get("key") == "done"


def pick_transition(transitions: list[dict[str, Any]], name: str, into_done: bool) -> dict[str, Any]:
    if name:
        wanted = name.casefold()
        for t in transitions:
            if t.get("name", "").casefold() == wanted or (t.get("to") or {}).get("name", "").casefold() == wanted:
                return t
        what = ", ".join(t.get("name", "?") for t in transitions) or "none"
        raise JiraError(400, f"no transition named {name!r} is available on this issue (available: {what})")

    def category(t: dict[str, Any]) -> str:
        return ((t.get("to") or {}).get("statusCategory") or {}).get("key", "")

    if into_done:
        candidates = [t for t in transitions if category(t) == "done"]
    else:
        candidates = sorted(
            (t for t in transitions if category(t) not in ("done", "")), key=lambda t: category(t) != "new"
        )
    if not candidates:
        target = "Done" if into_done else "an open status"
        raise JiraError(400, f"the workflow offers no transition into {target}; name one in the connection settings")
    return candidates[0]


class TicketSync:
    def __init__(self, connection: JiraConnection, client: JiraClient | None = None) -> None:
        self.connection = connection
        self.client = client or client_for(connection)
        self.cloud = connection.flavor == "cloud"

    def comment(self, ticket: Ticket, text: str, finding: Finding) -> None:
        self.client.comment(ticket.key, render(comment_blocks(text, finding), self.cloud))

    def move(self, ticket: Ticket, into_done: bool) -> bool:
        """Transition unless already there; True if it moved."""
        if is_done(self.client.issue_status(ticket.key)) == into_done:
            return False
        name = self.connection.done_transition if into_done else self.connection.reopen_transition
        chosen = pick_transition(self.client.transitions(ticket.key), name, into_done)
        self.client.transition(ticket.key, str(chosen["id"]))
        return True

    def find_or_create(self, group: Group, finding: Finding) -> tuple[Ticket, bool]:
        label = unique_label(self.connection, group)
        found = self.client.search(f'project = "{self.connection.project_key}" AND labels = "{label}"')
        issue = found[0] if found else self.client.create_issue(issue_fields(self.connection, group, finding, label))
        return store_ticket(self.connection, group, issue, label), not found

    def apply(self, delivery: Delivery) -> Outcome:
        finding = delivery.finding
        if finding is None:
            return Outcome(ok=True, skipped=True, result="the finding no longer exists")
        group = group_of(self.connection, finding)
        ticket = Ticket.objects.filter(connection=self.connection, group_key=group.key).first()
        if delivery.event in OPENING:
            return self._opening(delivery, group, finding, ticket)
        if ticket is None:
            return Outcome(ok=True, skipped=True, result="no ticket tracks this finding")
        if delivery.event == Event.RESOLVED:
            return self._resolved(ticket, finding, group)
        if delivery.event == Event.RESOURCE_DRIFTED:
            return self._drifted(ticket, finding, delivery.payload or {})
        note = (delivery.payload or {}).get("note") or ""
        verb = "muted" if delivery.event == Event.MUTED else "unmuted"
        self.comment(ticket, f"Posture: {finding.resource_uid} was {verb}. {note}".strip(), finding)
        return Outcome(ok=True, result=f"commented on {ticket.key} ({verb})")

    def _opening(self, delivery: Delivery, group: Group, finding: Finding, ticket: Ticket | None) -> Outcome:
        if ticket is None:
            ticket, created = self.find_or_create(group, finding)
            members = [finding] if group.per_finding else group_findings(group, finding)
            ticket.findings.add(*members)
            if not created and finding.status == Status.FAIL and self.move(ticket, into_done=False):
                Ticket.objects.filter(pk=ticket.pk).update(done=False)
            return Outcome(ok=True, result=f"{'created' if created else 'found'} {ticket.key}")
        known = ticket.findings.filter(pk=finding.pk).exists()
        ticket.findings.add(finding)
        if delivery.event == Event.TICKET_REQUESTED and known:
            return Outcome(ok=True, result=f"already tracked by {ticket.key}")
        if finding.status != Status.FAIL:
            return Outcome(ok=True, skipped=True, result=f"{ticket.key}: the finding passes again meanwhile")
        reopened = self.move(ticket, into_done=False)
        if reopened:
            Ticket.objects.filter(pk=ticket.pk).update(done=False)
            self.comment(ticket, f"Posture: {finding.resource_uid} fails again (regression); reopened.", finding)
            return Outcome(ok=True, result=f"reopened {ticket.key}")
        if not known or delivery.event == Event.REGRESSION:
            self.comment(ticket, f"Posture: {finding.resource_uid} fails ({finding.message}).", finding)
            return Outcome(ok=True, result=f"commented on {ticket.key}")
        return Outcome(ok=True, skipped=True, result=f"{ticket.key} already open")

    def _drifted(self, ticket: Ticket, finding: Finding, payload: dict[str, Any]) -> Outcome:
        if ticket.done:
            return Outcome(ok=True, skipped=True, result=f"{ticket.key} is done; drift is not news there")
        fields = payload.get("fields")
        what = f": {', '.join(fields[:10])} changed" if fields else ""
        scan = payload.get("scan_id")
        self.comment(ticket, f"Posture: {finding.resource_uid} drifted (scan {scan}){what}.", finding)
        return Outcome(ok=True, result=f"commented on {ticket.key} (drift)")

    def _resolved(self, ticket: Ticket, finding: Finding, group: Group) -> Outcome:
        if finding.status == Status.FAIL:
            return Outcome(ok=True, skipped=True, result=f"{ticket.key}: the finding fails again meanwhile")
        still = ticket.findings.filter(status=Status.FAIL).exclude(pk=finding.pk).count()
        if still:
            self.comment(
                ticket, f"Posture: {finding.resource_uid} passes now; {still} resource(s) still fail.", finding
            )
            return Outcome(ok=True, result=f"commented on {ticket.key}; {still} still failing")
        self.comment(ticket, f"Posture: {finding.resource_uid} passes now: resolved.", finding)
        self.move(ticket, into_done=True)
        Ticket.objects.filter(pk=ticket.pk).update(done=True)
        return Outcome(ok=True, result=f"resolved {ticket.key}")


def check_connection(connection: JiraConnection) -> str:
    """Sign in and find the project; a readable sentence, or JiraError with Jira's own reason."""
    client = client_for(connection)
    me = client.myself()
    project = client.project(connection.project_key)
    who = me.get("displayName") or me.get("name") or me.get("accountId") or "?"
    return f"signed in to Jira as {who}; project {project.get('key')} ({project.get('name', '')}) is reachable"
