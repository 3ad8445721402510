"""The compliance memo: same latest scans, same answer without reading snapshots again; a new scan, a new one."""

from __future__ import annotations

import pytest

from posture.findings.memo import Memo
from posture.scans.pipeline import create_scan, run_scan


def test_memo_keeps_the_newest_and_forgets_after_its_time(monkeypatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("posture.findings.memo.time.monotonic", lambda: clock[0])
    memo = Memo(size=2, seconds=10)
    calls: list[str] = []

    def compute(key: str):
        return lambda: calls.append(key) or key.upper()

    assert memo.get("a", compute("a")) == "A" and memo.get("a", compute("a")) == "A"
    memo.get("b", compute("b"))
    memo.get("c", compute("c"))  # over size: "a" was used least recently
    memo.get("a", compute("a"))
    assert calls == ["a", "b", "c", "a"]
    clock[0] += 11
    memo.get("a", compute("a"))
    assert calls[-1] == "a" and len(calls) == 5


@pytest.mark.django_db
def test_summary_and_trend_are_read_once_per_latest_scans(
    client, user_with_role, account, estate, django_assert_num_queries
) -> None:
    from tests.conftest import estate_doc

    client.force_login(user_with_role("viewer"))
    run_scan(create_scan(account).pk)
    first = client.get("/api/v1/compliance/test-benchmark-1.0/").json()
    trend = client.get("/api/v1/compliance/test-benchmark-1.0/trend/?days=7").json()
    # again: session, user, groups, the latest scans, the attestations - no snapshot or score rows
    with django_assert_num_queries(5):
        assert client.get("/api/v1/compliance/test-benchmark-1.0/").json() == first
    with django_assert_num_queries(5):
        assert client.get("/api/v1/compliance/test-benchmark-1.0/trend/?days=7").json() == trend
    assert first["score"] != 100.0
    estate.write(estate_doc(public=False, mfa=True))
    run_scan(create_scan(account).pk)
    assert client.get("/api/v1/compliance/test-benchmark-1.0/").json()["score"] == 100.0
    assert client.get("/api/v1/compliance/test-benchmark-1.0/trend/?days=7").json()["points"][-1]["score"] == 100.0
    listing = client.get("/api/v1/compliance/").json()  # drops the sections of its own copy, not the memo's
    assert all("sections" not in s for s in listing)
    assert client.get("/api/v1/compliance/test-benchmark-1.0/").json()["sections"]
