"""findings export and frameworks list/show, in the formats scripts parse."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from posture.scans.pipeline import create_scan, run_scan

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def scanned(account):
    run_scan(create_scan(account).pk)
    return account


def test_json_export_has_the_documented_shape(scanned, tmp_path, capsys) -> None:
    target = tmp_path / "out.json"
    call_command(
        "findings", "export", "--account", scanned.name, "--status", "FAIL", "--format", "json", "--output", str(target)
    )
    findings = json.loads(target.read_text())
    assert {f["resource"]["uid"] for f in findings} == {"b-public", "u-alice"}
    bucket = next(f for f in findings if f["resource"]["uid"] == "b-public")
    assert bucket["rule"] == "testcloud.storage.bucket_not_public"
    assert bucket["title"] == "Bucket is not public"
    assert (bucket["status"], bucket["severity"], bucket["account"]) == ("FAIL", "high", scanned.name)
    assert bucket["resource"] == {
        "uid": "b-public",
        "name": "b-public",
        "type": "testcloud.storage.bucket",
        "region": "r1",
    }
    assert bucket["evidence"] == [{"path": "public", "value": True}]
    assert bucket["controls"] == [{"framework": "test-benchmark-1.0", "control": "1.1"}]
    assert bucket["first_seen"] and bucket["last_seen"]


def test_export_to_stdout_and_csv(scanned, capsys) -> None:
    call_command("findings", "export", "--format", "json", "--framework", "test-benchmark-1.0")
    assert len(json.loads(capsys.readouterr().out)) == 4
    call_command("findings", "export", "--format", "csv", "--status", "fail")
    rows = list(csv.DictReader(StringIO(capsys.readouterr().out)))
    assert sorted(r["resource_uid"] for r in rows) == ["b-public", "u-alice"]
    assert rows[0]["controls"].startswith("test-benchmark-1.0:")


def test_export_of_nothing_is_an_empty_array(db, capsys) -> None:
    call_command("findings", "export", "--format", "json")
    assert json.loads(capsys.readouterr().out) == []


def test_export_bad_input(scanned, tmp_path) -> None:
    with pytest.raises(CommandError, match="unknown framework"):
        call_command("findings", "export", "--format", "json", "--framework", "nope")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("findings", "export", "--format", "json", "--output", str(tmp_path / "missing" / "f.json"))


def test_frameworks_list_and_show(db) -> None:
    listed = json.loads(run("frameworks", "list", "--format", "json"))
    ids = {f["id"] for f in listed}
    assert {"cis-aws-foundations-7.0", "cis-eks-1.8", "test-benchmark-1.0"} <= ids
    shown = json.loads(run("frameworks", "show", "test-benchmark-1.0", "--format", "json"))
    controls = {c["id"]: c for c in shown["controls"]}
    assert controls["1.1"]["assessment"] == "automated"
    assert controls["1.1"]["rules"] == ["testcloud.storage.bucket_not_public"]
    assert controls["1.2"]["assessment"] == "manual" and controls["1.2"]["rules"] == []
    assert controls["2.1"]["section"] == "2 Identity"
    text = run("frameworks", "show", "cis-aws-foundations-7.0")
    assert "CIS Amazon Web Services Foundations Benchmark v7.0.0" in text
