"""findings export and frameworks list/show, in the formats scripts parse."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from posture.rules.frameworks import catalog
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import assert_csv_formulas_inert, formula_estate_doc

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


def test_csv_export_neutralises_formulas_in_resource_names(account, estate, capsys) -> None:
    estate.write(formula_estate_doc())
    run_scan(create_scan(account).pk)
    call_command("findings", "export", "--format", "csv")
    assert_csv_formulas_inert(capsys.readouterr().out)


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
    test = next(f for f in listed if f["id"] == "test-benchmark-1.0")
    assert test["with_rules"] == sum(1 for c in catalog().get("test-benchmark-1.0").controls if c.rules) > 0
    shown = json.loads(run("frameworks", "show", "test-benchmark-1.0", "--format", "json"))
    controls = {c["id"]: c for c in shown["controls"]}
    assert controls["1.1"]["assessment"] == "automated"
    assert controls["1.1"]["rules"] == ["testcloud.storage.bucket_not_public"]
    assert controls["1.2"]["assessment"] == "manual" and controls["1.2"]["rules"] == []
    assert controls["2.1"]["section"] == "2 Identity"
    text = run("frameworks", "show", "cis-aws-foundations-7.0")
    assert "CIS Amazon Web Services Foundations Benchmark v7.0.0" in text


def test_nist_sp_800_190_applies_to_every_provider_its_rules_check(db) -> None:
    from posture.rules.frameworks import catalog

    listed = {f["id"]: f for f in json.loads(run("frameworks", "list", "--format", "json"))}
    assert listed["nist-sp-800-190"]["provider"] == "any"
    nist = catalog().get("nist-sp-800-190")
    assert all(nist.applies_to(p) for p in ("aws", "azure", "gcp", "kubernetes"))
    assert not nist.applies_to("testcloud")  # no rule of its checks a test cloud
    assert not catalog().get("cis-eks-1.8").applies_to("kubernetes")  # a provider's own framework: its own only
    sections = {
        c["section"].split()[0]
        for c in json.loads(run("frameworks", "show", "nist-sp-800-190", "--format", "json"))["controls"]
    }
    assert sections == {"4.1", "4.2", "4.3", "4.4", "4.5", "4.6"}


def test_exported_timestamps_and_evidence_are_the_stored_values(scanned, capsys) -> None:
    """The database writes the timestamps (and CSV's evidence text): they must say exactly what the rows hold,
    microseconds or none, in every format."""
    from datetime import UTC, datetime

    from posture.findings.models import Finding

    whole_second = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    fractional = datetime(2026, 1, 2, 3, 4, 5, 60, tzinfo=UTC)
    Finding.objects.filter(resource_uid="b-public").update(first_seen=whole_second, last_seen=fractional)
    Finding.objects.filter(resource_uid="u-alice").update(evidence=[{"path": 'naïve "quoted"', "value": 1.5}])
    expected = {
        f.resource_uid: (f.first_seen.isoformat(), f.last_seen.isoformat(), f.evidence)
        for f in Finding.objects.filter(status="FAIL")
    }
    assert expected["b-public"][:2] == ("2026-01-02T03:04:05+00:00", "2026-01-02T03:04:05.000060+00:00")
    call_command("findings", "export", "--format", "csv", "--status", "FAIL")
    for row in csv.DictReader(StringIO(capsys.readouterr().out)):
        assert (row["first_seen"], row["last_seen"], json.loads(row["evidence"])) == expected[row["resource_uid"]]
    call_command("findings", "export", "--format", "json", "--status", "FAIL")
    for item in json.loads(capsys.readouterr().out):
        assert (item["first_seen"], item["last_seen"], item["evidence"]) == expected[item["resource"]["uid"]]
    call_command("findings", "export", "--format", "ocsf", "--status", "FAIL")
    for item in json.loads(capsys.readouterr().out):
        uid = item["resources"][0]["uid"]
        assert item["finding_info"]["first_seen_time"] == int(
            datetime.fromisoformat(expected[uid][0]).timestamp() * 1000
        )


@pytest.mark.parametrize(
    ("text", "cell"),
    [("=1+1", "'=1+1"), ("\tx", "'\tx"), ("\r=1", "'\r=1"), ("a=b", "a=b"), ("", ""), (None, None)],
)
def test_inert_quotes_only_text_a_spreadsheet_would_run(text, cell) -> None:
    from posture.findings.export import inert

    assert inert(text) == cell
