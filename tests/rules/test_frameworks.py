"""Framework files: every problem is reported at once, with the file and control."""

from __future__ import annotations

import pytest
import yaml

from posture.rules.frameworks import FrameworkError, load_catalog


def write(tmp_path, name: str, doc) -> None:
    (tmp_path / name).write_text(yaml.safe_dump(doc))


def test_invalid_files_are_refused_with_every_problem(tmp_path) -> None:
    write(
        tmp_path,
        "a.yaml",
        {
            "id": "fw-a",
            "title": "A",
            "version": "1",
            "provider": "testcloud",
            "sections": [
                {
                    "id": "1",
                    "title": "S",
                    "controls": [
                        {"id": "1.1", "title": "x", "assessment": "sometimes", "rules": ["testcloud.no.such_rule"]},
                        {"id": "1.1", "title": "dup", "assessment": "manual"},
                    ],
                }
            ],
        },
    )
    write(tmp_path, "b.yaml", ["not", "a", "mapping"])
    with pytest.raises(FrameworkError) as raised:
        load_catalog([tmp_path])
    text = str(raised.value)
    assert "assessment must be automated or manual" in text
    assert "unknown rule 'testcloud.no.such_rule'" in text
    assert "control 1.1 appears twice" in text
    assert "b.yaml: must be a mapping" in text


def test_a_valid_file_loads_with_nested_sections(tmp_path) -> None:
    write(
        tmp_path,
        "ok.yaml",
        {
            "id": "fw-ok",
            "title": "OK",
            "version": "1",
            "provider": "testcloud",
            "sections": [
                {
                    "id": "1",
                    "title": "Top",
                    "sections": [
                        {
                            "id": "1.1",
                            "title": "Sub",
                            "controls": [
                                {
                                    "id": "1.1.1",
                                    "title": "c",
                                    "assessment": "automated",
                                    "rules": ["testcloud.iam.user_has_mfa"],
                                },
                            ],
                        }
                    ],
                }
            ],
        },
    )
    catalog = load_catalog([tmp_path])
    fw = catalog.get("fw-ok")
    assert [s.title for s in fw.section_path("1.1")] == ["Top", "Sub"]
    assert catalog.controls_for_rule("testcloud.iam.user_has_mfa") == [("fw-ok", "1.1.1")]


def test_the_builtin_files_read_the_same_with_the_fast_loader() -> None:
    from posture.rules.frameworks import BUILTIN_DIR, SAFE_LOADER

    files = sorted(BUILTIN_DIR.glob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text()
        assert yaml.load(text, Loader=SAFE_LOADER) == yaml.safe_load(text), path.name
