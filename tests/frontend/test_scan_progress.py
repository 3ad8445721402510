"""Starting a scan never blocks the page: it runs in the background, its row shows progress to the end,
and a scan that cannot start says why (never an error page)."""

from __future__ import annotations

import io
import re
import time

import pytest
from kombu.exceptions import OperationalError as BrokerError

from posture.scans import background
from posture.scans.models import FINAL_STATES, Scan, ScanState
from posture.scans.tasks import run_scan_task
from tests.conftest import estate_doc

pytestmark = pytest.mark.django_db(transaction=True)


def slow_estate(estate, seconds: float = 2.0) -> None:
    """Each storage unit takes ``seconds``: the scan is still running when the page has answered."""
    doc = estate_doc()
    doc["hang"] = [{"service": "storage", "seconds": seconds}]
    estate.write(doc)


def wait_final(scan_id: int, timeout: float = 30.0) -> Scan:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        scan = Scan.objects.get(pk=scan_id)
        if scan.state in FINAL_STATES:
            return scan
        time.sleep(0.1)
    raise AssertionError(f"scan {scan_id} did not finish within {timeout} s")


def test_a_scan_started_from_the_page_runs_in_the_background(account, estate, analyst, settings):
    settings.SCAN_IN_BACKGROUND = True
    slow_estate(estate)
    response = analyst.post("/scans/start/", {"account": account.pk}, follow=True)
    scan = Scan.objects.get()
    page = response.content.decode()
    assert scan.state in (ScanState.QUEUED, ScanState.RUNNING), "the request did not wait for the scan"
    assert re.search(f"Scan {scan.pk} of test-account (queued|running): its progress shows below", page)
    assert "started" not in page
    row = analyst.get(f"/scans/{scan.pk}/row/").content.decode()
    assert 'hx-trigger="every 2s"' in row and "<progress" in row  # polled while active
    assert any(p in row for p in ("waiting for the worker", "connecting", "collecting", "evaluating"))
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the row as the page polls it, to the end
        row = analyst.get(f"/scans/{scan.pk}/row/").content.decode()
        seen.add(Scan.objects.get(pk=scan.pk).phase)
        if "every 2s" not in row:
            break
        time.sleep(0.2)
    assert "succeeded" in row and "<progress" not in row and "3 units" in row
    assert any(p.startswith("collecting") for p in seen), seen
    assert wait_final(scan.pk).counts["resources"] == 4


def test_the_account_page_shows_the_latest_scan_polled_while_active(account, estate, admin, settings):
    settings.SCAN_IN_BACKGROUND = True
    slow_estate(estate)
    admin.post("/scans/start/", {"account": account.pk})
    scan = Scan.objects.get()
    page = admin.get(f"/accounts/{account.pk}/").content.decode()
    assert f'id="scan-{scan.pk}"' in page and f'hx-get="/scans/{scan.pk}/row/"' in page
    wait_final(scan.pk)
    page = admin.get(f"/accounts/{account.pk}/").content.decode()
    assert f'id="scan-{scan.pk}"' in page and "every 2s" not in page and "succeeded" in page


def test_without_the_background_worker_the_message_tells_the_final_state(account, analyst):
    response = analyst.post("/scans/start/", {"account": account.pk}, follow=True)
    scan = Scan.objects.get()
    assert scan.state == ScanState.SUCCEEDED  # eager, in the request: what the tests rely on
    assert f"Scan {scan.pk} of test-account finished: succeeded." in response.content.decode()


def test_a_scan_that_fails_at_once_says_why(account, estate, analyst):
    estate.path.write_text("{not json")
    response = analyst.post("/scans/start/", {"account": account.pk}, follow=True)
    scan = Scan.objects.get()
    assert response.status_code == 200 and scan.state == ScanState.FAILED
    assert f"Scan {scan.pk} of test-account failed: " in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_a_broker_down_is_a_message_not_an_error_page(account, analyst, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SCAN_IN_BACKGROUND = True  # with a broker the worker here is never used

    def refuse(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(run_scan_task, "delay", refuse)
    response = analyst.post("/scans/start/", {"account": account.pk}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "Not started: the task queue is unavailable" in page
    assert "Connection refused" not in page  # classified, not the exception's text
    assert Scan.objects.get().state == ScanState.FAILED


def test_a_refused_scan_is_a_message(account, analyst):
    running = Scan.objects.create(account=account, state=ScanState.RUNNING)
    response = analyst.post("/scans/start/", {"account": account.pk}, follow=True)
    assert response.status_code == 200
    assert f"Not started: account test-account already has scan {running.pk} running." in response.content.decode()
    account.enabled = False
    account.save()
    running.delete()
    response = analyst.post("/scans/start/", {"account": account.pk}, follow=True)
    assert "Not started: account test-account is disabled." in response.content.decode()


def test_an_unexpected_error_in_the_background_fails_the_scan_with_its_kind(account):
    scan = Scan.objects.create(account=account, state=ScanState.RUNNING)

    def broken(scan_id: int) -> None:
        raise KeyError("internal detail")

    background.run_one(scan.pk, run=broken)
    scan.refresh_from_db()
    assert scan.state == ScanState.FAILED and scan.finished_at is not None
    assert scan.message == "the scan stopped on an internal error (KeyError)"


def test_the_command_line_never_leaves_a_scan_to_a_thread_that_dies_with_it(account, settings):
    from django.core.management import call_command

    settings.SCAN_IN_BACKGROUND = True
    call_command("scan", "test-account", "--async", stdout=io.StringIO())
    assert Scan.objects.get().state == ScanState.SUCCEEDED  # run before the command returned


def test_phase_names_what_an_active_scan_does():
    assert Scan(state=ScanState.QUEUED).phase == "waiting for the worker"
    assert Scan(state=ScanState.RUNNING).phase == "connecting"
    assert Scan(state=ScanState.RUNNING, progress_done=2, progress_total=5).phase == "collecting 2 of 5 units"
    assert Scan(state=ScanState.RUNNING, progress_done=5, progress_total=5).phase == "evaluating and storing"
    assert Scan(state=ScanState.SUCCEEDED, progress_done=5, progress_total=5).phase == ""
