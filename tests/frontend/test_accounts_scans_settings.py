"""Accounts, scans and settings pages: field errors, write-only credentials, roles enforced."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from posture.access.models import ApiToken, AuditLog
from posture.findings.models import Finding, MuteRule
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan, ScanState


def new_account(client, estate, **fields):
    data = {
        "provider": "testcloud",
        "name": "acct-2",
        "regions": "",
        "schedule": "",
        "cred.testcloud.estate": str(estate.path),
    }
    data.update(fields)
    return client.post("/accounts/new/", data)


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"name": "bad name!"}, "name", "use letters, digits"),
        ({"name": "test-account"}, "name", "exists already"),
        ({"regions": "us-east-1,,x"}, "regions", "empty item"),
        ({"regions": "NOT_A_REGION"}, "regions", "region"),
        ({"endpoint_url": "ftp://x"}, "endpoint_url", "not an http(s) URL"),
        ({"labels": "novalue"}, "labels", "KEY=VALUE"),
        ({"schedule": "sometimes"}, "schedule", "must be one of"),
        ({"cred.testcloud.estate": ""}, "credentials", "need credentials"),
        ({"provider": "oracle"}, "provider", "oracle"),
    ],
)
def test_adding_an_account_with_a_bad_value_marks_that_field(fields, field, text, account, estate, admin):
    response = new_account(admin, estate, **fields)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label class="field has-error">' in html or 'class="creds full has-error"' in html
    assert text in response.context["errors"][field]
    assert CloudAccount.objects.count() == 1


def test_add_then_edit_keeps_credentials_write_only(db, estate, admin):
    response = new_account(admin, estate, team="payments", labels="env=prod")
    account = CloudAccount.objects.get(name="acct-2")
    assert response.status_code == 302 and response["Location"] == f"/accounts/{account.pk}/"
    page = admin.get(f"/accounts/{account.pk}/").content.decode()
    assert str(estate.path) not in page  # never sent back
    assert "Credentials are stored" in page
    admin.post(
        f"/accounts/{account.pk}/", {"regions": "", "team": "core", "labels": "", "schedule": "daily", "enabled": "on"}
    )
    account.refresh_from_db()
    assert account.team == "core" and account.scan_schedule == "daily"
    assert account.credentials == {"estate": str(estate.path)}  # blank fields keep the stored set
    admin.post(
        f"/accounts/{account.pk}/", {"schedule": "", "cred.testcloud.estate": "/elsewhere.json", "enabled": "on"}
    )
    account.refresh_from_db()
    assert account.credentials == {"estate": "/elsewhere.json"}
    assert not any(str(estate.path) in str(a.detail) for a in AuditLog.objects.all())


def test_edit_with_a_bad_value_shows_the_error_and_changes_nothing(account, admin):
    response = admin.post(f"/accounts/{account.pk}/", {"regions": "Bad Region", "schedule": ""})
    assert "regions" in response.context["errors"]
    account.refresh_from_db()
    assert account.regions == []


def test_test_connection_reports_success_and_failure(account, estate, admin):
    response = admin.post(f"/accounts/{account.pk}/test/", follow=True)
    assert b"Connected" in response.content
    account.refresh_from_db()
    assert account.verified_at is not None and account.external_id == "test-0001"
    estate.path.unlink()
    response = admin.post(f"/accounts/{account.pk}/test/", follow=True)
    assert b"the credentials do not work" in response.content


def test_remove_needs_the_name_typed(account, admin):
    response = admin.post(f"/accounts/{account.pk}/remove/", {"confirm": "nope"}, follow=True)
    assert b"Type the account" in response.content and CloudAccount.objects.exists()
    admin.post(f"/accounts/{account.pk}/remove/", {"confirm": "test-account"})
    assert not CloudAccount.objects.exists()


def test_only_admins_change_accounts(account, estate, analyst, viewer):
    for client in (analyst, viewer):
        assert new_account(client, estate).status_code == 403
        assert client.post(f"/accounts/{account.pk}/", {"team": "x"}).status_code == 403
        assert client.post(f"/accounts/{account.pk}/test/").status_code == 403
        assert client.post(f"/accounts/{account.pk}/remove/", {"confirm": "test-account"}).status_code == 403
        page = client.get(f"/accounts/{account.pk}/").content.decode()
        assert "<fieldset disabled>" in page and "Test connection" not in page
    assert CloudAccount.objects.get().team == ""


def test_start_and_cancel_a_scan(account, analyst, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = analyst.post("/scans/start/", {"account": account.pk}, follow=True)
    assert b"queued" in response.content and len(callbacks) >= 1  # handed to the queue on commit
    assert b"started" not in response.content
    scan = Scan.objects.get()
    assert scan.state == ScanState.QUEUED
    row = analyst.get(f"/scans/{scan.pk}/row/").content.decode()
    assert 'hx-trigger="every 2s"' in row and "Cancel" in row  # polled while active
    response = analyst.post("/scans/start/", {"account": account.pk}, follow=True)
    assert b"already has scan" in response.content
    response = analyst.post(f"/scans/{scan.pk}/cancel/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"cancelled" in response.content
    assert b"every 2s" not in response.content
    scan.refresh_from_db()
    assert scan.state == ScanState.CANCELLED
    response = analyst.post("/scans/start/", {"account": 999}, follow=True)
    assert b"Choose an account" in response.content


def test_a_started_scan_runs_through_the_eager_queue(account, analyst, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post("/scans/start/", {"account": account.pk})
    assert Scan.objects.get().state == ScanState.SUCCEEDED
    assert Finding.objects.filter(account=account).count() == 4


def test_viewers_cannot_start_or_cancel(account, viewer):
    assert viewer.post("/scans/start/", {"account": account.pk}).status_code == 403
    scan = Scan.objects.create(account=account)
    assert viewer.post(f"/scans/{scan.pk}/cancel/").status_code == 403
    assert b"Start scan" not in viewer.get("/scans/").content


def test_scan_history_filters_and_shows_failures(account, estate, viewer):
    from posture.scans.pipeline import create_scan, run_scan
    from tests.conftest import estate_doc

    estate.write(estate_doc(fail=[{"service": "storage", "region": "r2", "error": "said token=abc123"}]))
    run_scan(create_scan(account).pk)
    page = viewer.get("/scans/?state=partial").content.decode()
    assert "partial" in page and "1 failed" in page
    scan = Scan.objects.get()
    detail = viewer.get(f"/scans/{scan.pk}/").content.decode()
    assert "the call failed (RuntimeError)" in detail and "abc123" not in detail  # in words, not the raw text
    assert b"is not one of" in viewer.get("/scans/?state=exploded").content


def test_tokens_are_shown_once_and_revocable(db, make_user):
    from tests.frontend.conftest import client_for

    user = make_user("viewer")
    client = client_for(user)
    response = client.post("/settings/tokens/", {"name": "siem", "read_only": "on"}, follow=True)
    key = response.context["new_key"]
    assert key.startswith("pst_") and key in response.content.decode()
    assert key not in client.get("/settings/").content.decode()  # once only
    token = ApiToken.objects.get(user=user)
    assert token.read_only and token.hint == key[-4:]
    client.post(f"/settings/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert b"Give the token a name" in client.post("/settings/tokens/", {"name": ""}, follow=True).content


def test_mute_rules_from_settings(scanned, analyst, viewer):
    response = analyst.post(
        "/settings/mutes/", {"rule_id": "testcloud.storage.bucket_not_public", "reason": ""}, follow=True
    )
    assert b"Mute rule not created: reason" in response.content
    everywhere = {"rule_id": "testcloud.storage.bucket_not_public", "reason": "public by design"}
    response = analyst.post("/settings/mutes/", everywhere, follow=True)
    assert b"only admins mute across every account" in response.content  # as POST /api/v1/mutes/
    response = analyst.post("/settings/mutes/", {**everywhere, "account": scanned.pk}, follow=True)
    assert b"3 finding(s) muted" in response.content  # every finding of the rule, passing or not
    rule = MuteRule.objects.get()
    assert Finding.objects.get(status="FAIL").muted
    assert viewer.post(f"/settings/mutes/{rule.pk}/revoke/").status_code == 403
    assert viewer.post("/settings/mutes/", {"rule_id": "x", "reason": "y"}).status_code == 403
    analyst.post(f"/settings/mutes/{rule.pk}/revoke/")
    assert not Finding.objects.get(status="FAIL").muted


def test_roles_are_managed_by_admins_only(db, make_user, admin, analyst):
    someone = make_user("viewer", "someone")
    assert analyst.post(f"/settings/users/{someone.pk}/role/", {"role": "admin"}).status_code == 403
    assert b"Users and roles" not in analyst.get("/settings/").content
    response = admin.post(f"/settings/users/{someone.pk}/role/", {"role": "analyst"}, follow=True)
    assert b"someone is now analyst" in response.content
    assert list(User.objects.get(pk=someone.pk).groups.values_list("name", flat=True)) == ["analyst"]
    assert b"Unknown role" in admin.post(f"/settings/users/{someone.pk}/role/", {"role": "god"}, follow=True).content
    me = User.objects.get(username="user-admin")
    assert (
        b"cannot change your own role"
        in admin.post(f"/settings/users/{me.pk}/role/", {"role": "viewer"}, follow=True).content
    )
    assert AuditLog.objects.filter(action="user.role").count() == 1
    assert b"Audit log" in admin.get("/settings/").content
