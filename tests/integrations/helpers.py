"""Builders shared by the integration tests."""

from __future__ import annotations

from typing import Any

from emulators.jira import JiraEmulator
from posture.integrations.events import latest_event_id
from posture.integrations.models import JiraConnection, WebhookEndpoint
from tests.conftest import EstateFile, estate_doc
from tests.integrations.receiver import WebhookReceiver

SECRET = "a-webhook-secret-of-some-length"


def make_jira(emulator: JiraEmulator, **options: Any) -> JiraConnection:
    settings: dict[str, Any] = {
        "name": f"jira-{emulator.flavor}",
        "flavor": emulator.flavor,
        "base_url": emulator.url,
        "email": emulator.email if emulator.flavor == "cloud" else "",
        "project_key": "SEC",
        "issue_type": "Bug",
        "auto_severities": ["high"],
        "labels": ["cloud-security"],
        "start_event_id": latest_event_id(),
    }
    if emulator.required_fields:
        settings["custom_fields"] = {"customfield_10050": {"value": "Platform {provider}"}}
    settings.update(options)
    token = settings.pop("token", emulator.token)
    connection = JiraConnection(**settings)
    connection.token = token
    connection.save()
    return connection


def make_webhook(receiver: WebhookReceiver, events: list[str], **options: Any) -> WebhookEndpoint:
    accounts = options.pop("accounts", [])
    hook = WebhookEndpoint(
        name=options.pop("name", "hook"), url=receiver.url, events=events, start_event_id=latest_event_id(), **options
    )
    hook.secret = SECRET
    hook.save()
    hook.accounts.set(accounts)
    return hook


def set_estate(estate: EstateFile, **kwargs: Any) -> None:
    estate.write(estate_doc(**kwargs))
