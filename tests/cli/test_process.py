"""The command line as a script sees it: one-line errors, exit codes, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["POSTURE_DATA_DIR"] = str(tmp_path)
    env["POSTURE_PLUGINS"] = "tests.support.testcloud"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    assert run("migrate", "--noinput", "-v0").returncode == 0
    return run


def test_errors_are_one_line_with_a_non_zero_exit(cli) -> None:
    for args in (
        ["accounts", "add", "nocloud", "--name", "x"],
        ["accounts", "add", "aws", "--name", "x", "--regions", ",,"],
        ["accounts", "add", "aws", "--name", "x", "--access-key-id", "A"],
        ["accounts", "test", "ghost"],
        ["scan", "ghost"],
        ["findings", "export", "--format", "json", "--account", "ghost"],
        ["findings", "export", "--format", "json", "--status", "MAYBE"],
        ["frameworks", "show", "no-such-framework"],
    ):
        result = cli(*args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("CommandError: "), (args, result.stderr)
    listed = cli("accounts", "list")
    assert "no accounts yet" in listed.stdout


def test_a_scan_end_to_end_from_the_command_line(cli, tmp_path) -> None:
    from tests.conftest import EstateFile, estate_doc

    estate = EstateFile(tmp_path / "estate.json")
    assert cli("accounts", "add", "testcloud", "--name", "lab", "--estate", str(estate.path)).returncode == 0
    scan = cli("scan", "lab")
    assert scan.returncode == 0, scan.stderr
    assert "scan 1 of lab: succeeded" in scan.stdout and "FAIL 2, PASS 2" in scan.stdout
    estate.write(estate_doc(fail=[{"service": "storage", "region": "r2", "error": "region timed out"}]))
    partial = cli("scan", "lab")
    assert partial.returncode == 0 and "not collected: storage in r2" in partial.stdout
    assert cli("scan", "lab", "--strict").returncode == 2
    estate.path.unlink()
    failed = cli("scan", "lab")
    assert failed.returncode == 1 and "failed" in failed.stdout
