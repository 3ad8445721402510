"""Signed webhooks: events, filters, payload, signature, retries with backoff, giving up and resending."""

from __future__ import annotations

import json
import time

import pytest

from posture.findings.models import Finding
from posture.integrations import operations
from posture.integrations.models import Delivery, DeliveryStatus, Event
from posture.integrations.webhooks.signing import SignatureError, sign, verify
from tests.integrations.helpers import SECRET, make_webhook

ALL = [Event.NEW_FAILURE, Event.REGRESSION, Event.RESOLVED, Event.SCAN_FINISHED, Event.SCAN_FAILED]


def test_signature_round_trip_and_what_it_rejects() -> None:
    body = b'{"event":"test"}'
    header = sign(SECRET, body, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify(SECRET, header, body, now=1_700_000_100) == 1_700_000_000
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, header, body + b" ", now=1_700_000_100)
    with pytest.raises(SignatureError, match="does not match"):
        verify("another-secret-entirely", header, body, now=1_700_000_100)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(SECRET, header, body, now=1_700_000_000 + 301)
    with pytest.raises(SignatureError, match="timestamp"):
        verify(SECRET, "v1=abc", body)
    # a timestamp moved by a replaying attacker no longer matches the signature
    forged = header.replace("t=1700000000", "t=1700000050")
    with pytest.raises(SignatureError):
        verify(SECRET, forged, body, now=1_700_000_060)


def test_a_scan_sends_signed_events_with_the_finding_and_a_link(receiver, account, scan) -> None:
    make_webhook(receiver, ALL)
    scan()
    events = [r.headers["Posture-Event"] for r in receiver.received]
    assert sorted(events) == ["finding.new_failure", "finding.new_failure", "scan.finished"]
    for r in receiver.received:
        assert verify(SECRET, r.headers["Posture-Signature"], r.body, now=time.time())
        assert r.headers["Content-Type"] == "application/json"
    first = next(r for r in receiver.received if r.headers["Posture-Event"] == "finding.new_failure")
    payload = json.loads(first.body)
    finding = Finding.objects.get(pk=payload["finding"]["id"])
    assert payload["finding"]["url"] == f"https://posture.example.test/findings/{finding.pk}/"
    assert payload["finding"]["account"]["name"] == "test-account"
    assert payload["finding"]["status"] == "FAIL" and payload["transition"]["kind"] == "opened"
    assert payload["finding"]["evidence"] == finding.evidence
    scan_payload = json.loads(next(r for r in receiver.received if r.headers["Posture-Event"] == "scan.finished").body)
    assert scan_payload["scan"]["state"] == "succeeded"
    log = Delivery.objects.filter(webhook__isnull=False)
    assert {(d.status, d.attempts, d.response_code) for d in log} == {(DeliveryStatus.SUCCEEDED, 1, 204)}


def test_filters_by_severity_account_framework_and_event(receiver, account, scan, estate) -> None:
    from posture.inventory.accounts import AccountInput, create_account

    other = create_account(
        AccountInput(provider="testcloud", name="other", regions=[], credentials={"estate": str(estate.path)}),
        source="cli",
    )
    make_webhook(receiver, [Event.NEW_FAILURE], name="medium-only", severities=["medium"])
    make_webhook(receiver, [Event.NEW_FAILURE], name="other-account", accounts=[other])
    make_webhook(receiver, [Event.NEW_FAILURE], name="benchmark", frameworks=["test-benchmark-1.0"])
    make_webhook(receiver, [Event.NEW_FAILURE], name="no-such-rules", frameworks=["cis-aws-foundations-7.0"])
    make_webhook(receiver, [Event.SCAN_FAILED], name="failures-only")
    scan()
    sent = {(d.webhook.name, d.finding.rule_id if d.finding else d.event) for d in Delivery.objects.all()}
    assert sent == {
        ("medium-only", "testcloud.iam.user_has_mfa"),
        ("benchmark", "testcloud.iam.user_has_mfa"),
        ("benchmark", "testcloud.storage.bucket_not_public"),
    }
    estate.path.write_text("not json")  # the next scan fails as a whole
    scan()
    failed = Delivery.objects.get(event=Event.SCAN_FAILED)
    assert failed.webhook.name == "failures-only" and failed.payload["scan"]["state"] == "failed"
    assert failed.status == DeliveryStatus.SUCCEEDED


def test_a_503_is_retried_with_the_same_delivery_id(receiver, account, scan) -> None:
    make_webhook(receiver, [Event.SCAN_FINISHED])
    receiver.fail_next(2, 503)
    scan()
    d = Delivery.objects.get()
    assert (d.status, d.attempts, d.response_code) == (DeliveryStatus.SUCCEEDED, 3, 204)
    assert len(receiver.received) == 3
    assert {r.headers["Posture-Delivery"] for r in receiver.received} == {str(d.uid)}


def test_gives_up_after_max_attempts_then_resends_by_hand(receiver, account, scan, settings, after_commit) -> None:
    settings.INTEGRATIONS_MAX_ATTEMPTS = 3
    make_webhook(receiver, [Event.SCAN_FINISHED])
    receiver.fail_next(5, 500)
    scan()
    d = Delivery.objects.get()
    assert (d.status, d.attempts, d.response_code) == (DeliveryStatus.FAILED, 3, 500)
    assert "HTTP 500" in d.error
    receiver.fail_next(0)
    receiver._failures.clear()
    with after_commit():
        assert operations.resend([d], source="cli") == 1
    d.refresh_from_db()
    assert (d.status, d.response_code) == (DeliveryStatus.SUCCEEDED, 204)


def test_a_refusing_endpoint_is_not_retried(receiver, account, scan) -> None:
    make_webhook(receiver, [Event.SCAN_FINISHED])
    receiver.fail_next(1, 410)
    scan()
    d = Delivery.objects.get()
    assert (d.status, d.attempts, d.response_code) == (DeliveryStatus.FAILED, 1, 410)


def test_an_unreachable_endpoint_is_retried_and_named_without_secrets(account, scan, settings) -> None:
    import socket

    from posture.integrations.models import WebhookEndpoint

    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.INTEGRATIONS_MAX_ATTEMPTS = 2
    hook = WebhookEndpoint(name="down", url=f"http://127.0.0.1:{port}/x", events=[Event.SCAN_FINISHED])
    hook.secret = SECRET
    hook.save()
    scan()
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == (DeliveryStatus.FAILED, 2)
    assert d.error.startswith("could not connect") and SECRET not in d.error


def test_the_test_delivery_is_signed_and_logged(receiver, db) -> None:
    hook = make_webhook(receiver, [Event.SCAN_FINISHED])
    result = operations.check_target(hook, source="cli")
    assert result.ok and result.response_code == 204
    [r] = receiver.received
    assert r.headers["Posture-Event"] == "test"
    verify(SECRET, r.headers["Posture-Signature"], r.body)
    assert Delivery.objects.get().event == Event.TEST
