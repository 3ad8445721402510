"""The command line keeps Python's garbage collector off what lives as long as the process.

``manage.py`` freezes everything as it ends (Python's shutdown would otherwise run full collections over it all,
~0.7 s after a scan); ``manage.py scan`` freezes start-up's objects before scanning. ``call_command`` (tests, the
demo) freezes nothing: a long-lived process must not pin its garbage.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def frozen_counts(code: str, tmp_path: Path) -> list[int]:
    """What ``code`` prints as ``frozen N`` lines (``gc.get_freeze_count()`` where it asks)."""
    env = {**os.environ, "POSTURE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "posture.settings"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return [int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("frozen ")]


def test_manage_py_freezes_as_it_ends(tmp_path: Path) -> None:
    before, after = frozen_counts(
        "import gc, sys, manage\n"
        "print('frozen', gc.get_freeze_count())\n"
        "sys.argv = ['manage.py', 'help']\n"
        "manage.main()\n"
        "print('frozen', gc.get_freeze_count())\n",
        tmp_path,
    )
    assert before == 0 and after > 50_000


def test_manage_py_freezes_when_the_command_fails(tmp_path: Path) -> None:
    (frozen,) = frozen_counts(
        "import gc, sys, manage\n"
        "sys.argv = ['manage.py', 'scan']\n"  # neither a name nor --all: CommandError, exit 1
        "try:\n    manage.main()\nexcept SystemExit as exit:\n    assert exit.code == 1\n"
        "print('frozen', gc.get_freeze_count())\n",
        tmp_path,
    )
    assert frozen > 50_000


def test_scan_from_the_command_line_freezes_before_scanning(tmp_path: Path) -> None:
    """Through ManagementUtility (what manage.py runs), not manage.main: only the scan command's own freeze."""
    (frozen,) = frozen_counts(
        "import gc, django\n"
        "from django.core.management import ManagementUtility, call_command\n"
        "django.setup()\n"
        "call_command('migrate', verbosity=0)\n"
        "ManagementUtility(['manage.py', 'scan', '--all']).execute()\n"  # no accounts: scans nothing
        "print('frozen', gc.get_freeze_count())\n",
        tmp_path,
    )
    assert frozen > 50_000


@pytest.mark.django_db
def test_call_command_freezes_nothing() -> None:
    import gc

    before = gc.get_freeze_count()
    call_command("scan", "--all")
    assert gc.get_freeze_count() == before
