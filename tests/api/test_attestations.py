"""Attestations: added, expired and revoked, each changes the score and the trend as documented, each audited;
bad input is refused and changes nothing; the page and the command line use the same service."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from posture.access.models import AuditLog
from posture.findings.compliance import MEMO
from posture.findings.models import Attestation, Finding
from posture.integrations import tasks
from posture.integrations.models import Delivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
FW = "test-benchmark-1.0"


def headline(client) -> tuple:
    MEMO.clear()
    s = client.get(f"/api/v1/compliance/{FW}/").json()
    newest = client.get(f"/api/v1/compliance/{FW}/trend/?days=3").json()["points"][-1]
    assert (newest["score"], newest["controls_evaluated"]) == (s["score"], s["controls_evaluated"])
    return s["score"], s["controls_passed"], s["controls_evaluated"], s["controls_attested"]


def body(**extra) -> dict:
    expires = (timezone.now() + timedelta(days=30)).isoformat()
    data = {
        "framework_id": FW,
        "control_id": "1.2",
        "result": "pass",
        "note": "reviewed by hand",
        "expires_at": expires,
    }
    return data | extra


def post(client, data: dict):
    return client.post("/api/v1/attestations/", json.dumps(data), content_type="application/json")


def actions() -> list[str]:
    return list(
        AuditLog.objects.filter(action__startswith="attestation.").order_by("id").values_list("action", flat=True)
    )


def test_added_expired_and_revoked_change_the_score_and_the_trend(client, user_with_role, scanned) -> None:
    client.force_login(user_with_role("analyst"))
    assert headline(client) == (0.0, 0, 2, 0)  # 1.1 and 2.1 fail; 1.2 and 2.2 need attestation
    hook = WebhookEndpoint(name="hook", url="http://127.0.0.1:9/", events=["attestation.expired"])
    hook.secret = "s" * 32
    hook.save()

    passing = post(client, body(account=scanned.name))
    assert passing.status_code == 201, passing.content
    assert passing.json()["state"] == "active" and passing.json()["created_by"] == "user-analyst"
    assert headline(client) == (33.3, 1, 3, 1)
    failing = post(client, body(control_id="2.2", result="fail", account=scanned.name))
    assert failing.status_code == 201
    assert headline(client) == (25.0, 1, 4, 2)
    controls = {c["id"]: c for s in client.get(f"/api/v1/compliance/{FW}/").json()["sections"] for c in s["controls"]}
    assert controls["1.2"]["status"] == "attested_pass" and controls["1.2"]["evaluated_by"] == "attestation"
    assert controls["1.2"]["attestations"] == [passing.json()["id"]]

    Attestation.objects.filter(pk=passing.json()["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert headline(client) == (0.0, 0, 3, 1)  # expiry counts at once, by time
    tasks.sweep()
    delivery = Delivery.objects.get(event="attestation.expired")
    assert delivery.payload["attestation"]["control"] == "1.2" and delivery.webhook_id == hook.pk
    tasks.sweep()
    assert Delivery.objects.filter(event="attestation.expired").count() == 1  # announced once
    listed = client.get("/api/v1/attestations/?state=expired").json()["results"]
    assert [a["id"] for a in listed] == [passing.json()["id"]]

    assert client.delete(f"/api/v1/attestations/{failing.json()['id']}/").status_code == 204
    assert headline(client) == (0.0, 0, 2, 0)
    assert client.delete(f"/api/v1/attestations/{failing.json()['id']}/").status_code == 400  # revoked already
    assert actions() == ["attestation.create", "attestation.create", "attestation.expire", "attestation.revoke"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expires_at": None}, "expires_at"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": (timezone.now() + timedelta(days=500)).isoformat()}, "expires_at"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"note": "  "}, "note"),
        ({"control_id": "9.9"}, "control"),
        ({"framework_id": "no-such"}, "framework"),
        ({"result": "maybe"}, "result"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(client, user_with_role, scanned, change, field) -> None:
    client.force_login(user_with_role("analyst"))
    response = post(client, body(account=scanned.name) | change)
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Attestation.objects.exists() and not actions()


def test_viewers_read_and_only_admins_attest_for_every_account(client, user_with_role, scanned) -> None:
    client.force_login(user_with_role("viewer"))
    assert post(client, body(account=scanned.name)).status_code == 403
    client.force_login(user_with_role("analyst"))
    refused = post(client, body())
    assert refused.status_code == 400 and "only admins" in refused.content.decode()
    client.force_login(user_with_role("admin"))
    assert post(client, body()).status_code == 201
    assert Attestation.objects.get().scope_label == "every account"


def test_an_out_of_scope_or_rule_decided_control(client, user_with_role, scanned) -> None:
    """An attestation on a control the rules decide is kept but changes nothing: the verdicts win."""
    client.force_login(user_with_role("analyst"))
    before = headline(client)
    assert post(client, body(control_id="1.1", account=scanned.name)).status_code == 201
    assert headline(client) == before


def test_mutes_change_the_score_at_once(client, user_with_role, scanned) -> None:
    client.force_login(user_with_role("analyst"))
    MEMO.clear()
    assert client.get(f"/api/v1/compliance/{FW}/").json()["resources_failed"] == 2
    mute = {"account": scanned.name, "resource_pattern": "b-public", "reason": "accepted"}
    assert client.post("/api/v1/mutes/", json.dumps(mute), content_type="application/json").status_code == 201
    assert Finding.objects.get(resource_uid="b-public").muted
    s = client.get(f"/api/v1/compliance/{FW}/").json()  # no memo clearing: the rescored scan is a new key
    assert s["resources_failed"] == 1
    controls = {c["id"]: c["status"] for sec in s["sections"] for c in sec["controls"]}
    assert controls["1.1"] == "pass"


def test_the_command_line_attests_lists_and_revokes(scanned) -> None:
    out = StringIO()
    expires = (timezone.now() + timedelta(days=10)).date().isoformat()
    call_command(
        "compliance", "attest", FW, "1.2", "--result", "pass", "--note", "ok", "--expires", expires,
        "--account", scanned.name, stdout=out,
    )  # fmt: skip
    pk = Attestation.objects.get().pk
    assert f"attestation {pk}" in out.getvalue()
    out = StringIO()
    call_command("compliance", "scores", "--format", "json", stdout=out)
    score = next(r for r in json.loads(out.getvalue()) if r["framework"]["id"] == FW)
    assert (score["controls_passed"], score["controls_attested"]) == (1, 1)
    out = StringIO()
    call_command("compliance", "attestations", stdout=out)
    assert "active" in out.getvalue() and "1.2" in out.getvalue()
    call_command("compliance", "revoke", str(pk), stdout=StringIO())
    with pytest.raises(CommandError, match="revoked already"):
        call_command("compliance", "revoke", str(pk), stdout=StringIO())
    with pytest.raises(CommandError, match="expires"):
        call_command(
            "compliance", "attest", FW, "1.2", "--result", "pass", "--note", "ok", "--expires", "2001-01-01",
            stdout=StringIO(),
        )  # fmt: skip
    assert actions() == ["attestation.create", "attestation.revoke"]


def test_the_control_page_attests_and_revokes(client, user_with_role, scanned) -> None:
    client.force_login(user_with_role("analyst"))
    url = f"/compliance/{FW}/controls/1.2/"
    expires = (timezone.now() + timedelta(days=10)).date().isoformat()
    data = {"scope": "account", "account": scanned.pk, "result": "pass", "note": "seen", "expires": expires}
    response = client.post(f"{url}attest/", data, follow=True)
    html = response.content.decode()
    assert "it counts in the score" in html and "Attested pass" in html
    pk = Attestation.objects.get().pk
    html = client.post(f"/attestations/{pk}/revoke/", follow=True).content.decode()
    assert "needs attestation again" in html and "Needs attestation" in html
    assert client.post(f"{url}attest/", data | {"expires": ""}, follow=True).content.decode().count("Not attested")
