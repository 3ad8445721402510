"""The collectors type-check: mypy, with the settings in pyproject.toml, finds nothing in collectors/.

posture/rules/ is checked by ``make typecheck`` and CI (.ci/run). With mypy's cache warm this takes a few
seconds; the first run on a fresh checkout about half a minute.
"""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]


def test_collectors_type_check() -> None:
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(ROOT / "collectors"),
        ]
    )
    assert status == 0, stdout + stderr
    assert stdout.startswith("Success: no issues found"), stdout
