"""Raw Resource Manager lists (locks, Application Insights, 2023-12 security contacts): paging, hostile answers,
and a refused list that leaves an ERROR on the rules, never a false FAIL."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from collectors.azure.arm_lists import UnexpectedAnswer, arm_list, resources_of_type
from collectors.azure.authorization import collect_authorization
from collectors.azure.session import AzureSession
from collectors.records import ResourceRecord
from emulators.azure import ArmEmulator
from emulators.azure.demo import SUB
from posture.rules.evaluate import evaluate
from posture.rules.registry import RULES, RuleRegistry

LOCKS = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/locks"
LEGACY_DATA = f"/subscriptions/{SUB}/resourceGroups/legacy/providers/Microsoft.Storage/storageAccounts/stlegacydata"


class Answer:
    def __init__(self, body: Any, status: int = 200) -> None:
        self.body, self.status_code = body, status

    def json(self) -> Any:
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


class Client:
    def __init__(self, *answers: Answer) -> None:
        self.answers, self.urls = list(answers), []

    def send_request(self, request: Any) -> Answer:
        self.urls.append(request.url)
        return self.answers.pop(0)


def session_with(client: Client) -> AzureSession:
    session = AzureSession(credential=None, base_url="https://management.azure.com")
    session.client = lambda kind, subscription_id: client  # type: ignore[method-assign]
    return session


def test_pages_are_followed_on_the_same_host_and_secrets_scrubbed() -> None:
    client = Client(
        Answer(
            {
                "value": [{"id": "a", "properties": {"radiusServerSecret": "s3cret"}}],
                "nextLink": "https://management.azure.com/x?page=2",
            }
        ),
        Answer({"value": [{"id": "b"}, "not an object"]}),
    )
    items = arm_list(
        session_with(client), SUB, "/subscriptions/S/providers/NS/things", "2020-01-01", {"$filter": "x eq 'y'"}
    )
    assert items == [{"id": "a", "properties": {}}, {"id": "b"}]
    assert client.urls[0] == "/subscriptions/S/providers/NS/things?$filter=x%20eq%20%27y%27&api-version=2020-01-01"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([Answer({"value": [], "nextLink": "https://attacker.example/steal"})], "leads away from management.azure.com"),
        ([Answer({"value": [], "nextLink": "http://management.azure.com/plain"})], "leads away"),
        ([Answer(ValueError("no json"))], "not JSON"),
        ([Answer(["a", "list"])], "not a list"),
        ([Answer({"value": {"id": "x"}})], "not a list"),
    ],
)
def test_hostile_answers_are_clear_errors(answers: list[Answer], message: str) -> None:
    with pytest.raises(UnexpectedAnswer, match=message):
        arm_list(session_with(Client(*answers)), SUB, "/p", "1")


def test_the_generic_listing_keeps_only_items_with_an_id_and_a_name() -> None:
    gateway = {
        "id": "/subscriptions/S/resourceGroups/g/providers/Microsoft.Network/virtualNetworkGateways/v",
        "name": "v",
    }
    client = Client(Answer({"value": [gateway, {"name": "no id"}, {"id": 7, "name": "x"}, {"id": "/x"}]}))
    assert resources_of_type(session_with(client), SUB, "Microsoft.Network/virtualNetworkGateways") == [gateway]
    assert "resourceType%20eq%20%27Microsoft.Network/virtualNetworkGateways%27" in client.urls[0]


def test_a_list_that_never_ends_stops() -> None:
    endless = [Answer({"value": [], "nextLink": "https://management.azure.com/again"}) for _ in range(300)]
    with pytest.raises(UnexpectedAnswer, match="more than"):
        arm_list(session_with(Client(*endless)), SUB, "/p", "1")


def test_refused_locks_leave_the_lock_rules_in_error(session: AzureSession, emulator: ArmEmulator) -> None:
    emulator.fail("/providers/Microsoft.Authorization/locks", 403)
    records = list(collect_authorization(session, "global"))  # the listing failed, the role records did not
    assert {r.type for r in records} >= {"azure.authorization.role_assignments", "azure.authorization.locks"}
    locks = next(r for r in records if r.uid == LOCKS)
    assert locks.config["locks"] is None
    assert "Microsoft.Authorization/locks/read" in locks.config["_errors"]["locks"]
    account = ResourceRecord("azure", "storage", "azure.storage.account", LEGACY_DATA, "stlegacydata", "eastus", {}, {})
    only = RuleRegistry()
    only.add(RULES.get("azure.storage.delete_lock"))
    [verdict] = evaluate([account, locks], only)
    assert (verdict.status, verdict.resource_uid) == ("ERROR", LEGACY_DATA)


def test_a_failing_list_raises_the_arm_error(session: AzureSession, emulator: ArmEmulator) -> None:
    emulator.fail("/providers/Microsoft.Insights/components", 500)
    with pytest.raises(HttpResponseError):
        arm_list(session, SUB, f"/subscriptions/{SUB}/providers/Microsoft.Insights/components", "2020-02-02")
