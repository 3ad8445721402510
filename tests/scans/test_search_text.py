"""Text search: rule id and title, resource uid, name and images, message, evidence, any case; kept current
by the pipeline."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from posture.findings.models import Finding, FindingEvent
from posture.findings.search import search_q
from posture.inventory.models import Resource, ResourceChange
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import estate_doc

pytestmark = pytest.mark.django_db


def scan(account):
    return run_scan(create_scan(account).pk)


def found(term: str) -> set[tuple[str, str]]:
    return set(Finding.objects.filter(search_q(term)).values_list("rule_id", "resource_uid"))


def named(doc: dict, uid: str, name: str, tags: dict | None = None) -> dict:
    for item in doc["resources"]:
        if item["uid"] == uid:
            item["name"] = name
            if tags is not None:
                item["tags"] = tags
    return doc


def test_search_matches_rule_uid_name_and_message_in_any_case(account, estate) -> None:
    estate.write(named(estate_doc(), "b-public", "Payroll-Exports"))
    assert scan(account).state == "succeeded"
    public = {r for r in found("b-public")}
    assert public and all(uid == "b-public" for _, uid in public)
    assert found("PAYROLL-exports") == public  # the resource's name, not in its uid
    rule_id = Finding.objects.filter(resource_uid="u-alice").values_list("rule_id", flat=True).first()
    assert (rule_id, "u-alice") in found(rule_id.upper())
    message = Finding.objects.get(resource_uid="b-public").message
    assert ("b-public" in {uid for _, uid in found(message.upper())}) and message
    assert found("no such thing anywhere") == set()
    assert found("%") == set() and found("b_public") == set()  # LIKE wildcards are searched for, not obeyed


def test_a_renamed_resource_is_found_by_its_new_name_without_a_change_or_drift(account, estate) -> None:
    estate.write(named(estate_doc(), "b-public", "old-name", {"team": "a"}))
    scan(account)
    seq = dict(Finding.objects.values_list("id", "change_seq"))
    events, changes = FindingEvent.objects.count(), ResourceChange.objects.count()
    estate.write(named(estate_doc(), "b-public", "new-name", {"team": "b"}))
    scan(account)
    assert found("old-name") == set()
    assert {uid for _, uid in found("new-name")} == {"b-public"}
    resource = Resource.objects.get(uid="b-public")
    assert (resource.name, resource.tags) == ("new-name", {"team": "b"})
    assert dict(Finding.objects.values_list("id", "change_seq")) == seq  # not a change for the ticketing feed
    assert (FindingEvent.objects.count(), ResourceChange.objects.count()) == (events, changes)


def test_a_gone_resource_is_found_by_its_new_message(account, estate) -> None:
    scan(account)
    doc = estate_doc()
    doc["resources"] = [r for r in doc["resources"] if r["uid"] != "u-alice"]
    estate.write(doc)
    scan(account)
    assert {uid for _, uid in found("no longer exists")} == {"u-alice"}


def test_the_migrations_fill_the_column_for_findings_written_before_it(account) -> None:
    scan(account)
    expected = dict(Finding.objects.values_list("id", "search_text"))
    Finding.objects.update(search_text="")
    first = importlib.import_module("posture.findings.migrations.0004_finding_search_text")
    first.backfill(django_apps, None)
    assert dict(Finding.objects.values_list("id", "search_text")) != expected  # no titles nor evidence yet
    titles = importlib.import_module("posture.findings.migrations.0010_search_titles_and_severity_order")
    titles.rebuild(django_apps, None)
    assert dict(Finding.objects.values_list("id", "search_text")) == expected
    assert all(expected.values())


def test_search_matches_the_rule_title_evidence_and_images(account, estate) -> None:
    doc = estate_doc()
    doc["resources"][0]["config"]["template"] = {"containers": [{"image": "ghcr.io/acme/Web@sha256:abc"}]}
    estate.write(doc)
    scan(account)
    assert {uid for _, uid in found("BUCKET IS NOT PUBLIC")} == {"b-public", "b-private", "b-r2"}
    assert {uid for _, uid in found("ghcr.io/acme/web")} == {"b-public"}
    text = Finding.objects.get(resource_uid="b-public").search_text
    assert text.split("\n")[-1] == "true"  # the evidence value observed at config.public
