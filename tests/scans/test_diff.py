"""The field diff drift is built on: volatile fields left out, paths, kinds, redaction and caps."""

from __future__ import annotations

import pytest

from collectors.redact import REDACTED
from collectors.volatile import IDENTITY, VOLATILE
from posture.scans.diff import (
    MAX_FIELDS,
    MAX_VALUE_CHARS,
    TRUNCATED,
    ChangeKind,
    FieldChange,
    change_kind,
    diff_configs,
    normalized,
    split,
    stored_diff,
    strip,
)

WORKLOAD = "kubernetes.workloads.workload"


def deployment(image: str = "web:1", **meta: str) -> dict:
    return {
        "metadata": {"name": "web", "uid": meta.get("uid", "u1"), "creationTimestamp": meta.get("at", "t1")},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
        "_pods": [{"name": f"web-{meta.get('pod', 'a')}", "startTime": meta.get("at", "t1")}],
        "_podCount": 1,
        "_oldestPodStart": meta.get("at", "t1"),
    }


@pytest.mark.parametrize(
    ("patterns", "value", "expected"),
    [
        (["a"], {"a": 1, "b": 2}, {"b": 2}),
        (["a.b"], {"a": {"b": 1, "c": 2}}, {"a": {"c": 2}}),
        (["a.*.t"], {"a": [{"t": 1, "k": 2}, {"t": 3}]}, {"a": [{"k": 2}, {}]}),
        (["**.etag"], {"etag": 1, "p": {"etag": 2, "x": [{"etag": 3, "y": 4}]}}, {"p": {"x": [{"y": 4}]}}),
        (["**.a.b"], {"a": {"b": 1, "c": 1}, "z": {"a": {"b": 2}}}, {"a": {"c": 1}, "z": {"a": {}}}),
        ([], {"a": 1}, {"a": 1}),
    ],
)
def test_strip_removes_exactly_the_matching_paths(patterns, value, expected) -> None:
    assert strip(value, [split(p) for p in patterns]) == expected


def test_volatile_fields_stay_out_of_the_diff_and_configuration_does_not() -> None:
    before = deployment(at="t1", pod="a")
    after = deployment(at="t2", pod="b")
    assert diff_configs(WORKLOAD, before, after) == []
    assert "_pods" not in normalized(WORKLOAD, after) and "metadata" in normalized(WORKLOAD, after)
    changed = deployment("web:2", at="t2", pod="b")
    assert diff_configs(WORKLOAD, before, changed) == [
        FieldChange("spec.template.spec.containers.0.image", "web:1", "web:2")
    ]


def test_lists_of_objects_by_item_lists_of_values_whole_and_missing_keys_as_none() -> None:
    before = {"rules": [{"verbs": ["get"]}], "tags": ["a", "b"], "old": 1}
    after = {"rules": [{"verbs": ["get", "list"]}, {"verbs": ["*"]}], "tags": ["b", "a"], "new": {"x": 1}}
    assert diff_configs("aws.iam.policy", before, after) == [
        FieldChange("new", None, {"x": 1}),
        FieldChange("old", 1, None),
        FieldChange("rules.0.verbs", ["get"], ["get", "list"]),
        FieldChange("rules.1", None, {"verbs": ["*"]}),
        FieldChange("tags", ["a", "b"], ["b", "a"]),
    ]


def test_kinds_of_change() -> None:
    assert change_kind(WORKLOAD, None, deployment()) == ChangeKind.APPEARED
    assert change_kind(WORKLOAD, deployment(), None) == ChangeKind.GONE
    assert change_kind(WORKLOAD, deployment(uid="u1"), deployment(uid="u2")) == ChangeKind.RECREATED
    assert change_kind(WORKLOAD, deployment(uid="u1"), deployment("web:2", uid="u1")) == ChangeKind.MODIFIED
    assert change_kind("testcloud.storage.bucket", {"a": 1}, {"a": 2}) == ChangeKind.MODIFIED  # no identity


def test_secrets_are_redacted_and_long_values_cut() -> None:
    changes = [
        FieldChange("spec.env.0.value", "a", "b"),
        FieldChange("properties.adminPassword", "old-one", "new-one"),
        FieldChange("url", "https://user:hunter2@example.com/", "https://example.com/"),
        FieldChange("policy", None, {"doc": "x" * (MAX_VALUE_CHARS + 10)}),
        FieldChange("secretName", "a", "b"),  # names where a secret is, not the secret
    ]
    shown = stored_diff(changes)
    assert shown[1] == {"path": "properties.adminPassword", "before": REDACTED, "after": REDACTED}
    assert "hunter2" not in str(shown[2]) and REDACTED in shown[2]["before"]
    assert shown[3]["after"].endswith(TRUNCATED) and len(shown[3]["after"]) == MAX_VALUE_CHARS + len(TRUNCATED)
    assert shown[4]["after"] == "b"


def test_the_stored_diff_is_capped() -> None:
    before = {f"k{i:04d}": i for i in range(MAX_FIELDS + 50)}
    changes = diff_configs("aws.s3.bucket", before, {k: v + 1 for k, v in before.items()})
    assert len(changes) == MAX_FIELDS + 50 and len(stored_diff(changes)) == MAX_FIELDS


def test_the_volatile_table_names_types_of_its_providers() -> None:
    for table in (VOLATILE, IDENTITY):
        for key, paths in table.items():
            assert key.split(".")[0] in ("aws", "azure", "gcp", "kubernetes"), key
            assert paths and all(p and not p.startswith(".") and ".." not in p for p in paths), key
