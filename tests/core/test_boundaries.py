"""The one-direction flow: collectors and rule functions know nothing of Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_collectors_and_the_rules_engine_pulls_in_no_django() -> None:
    code = (
        "import sys, collectors, collectors.run\n"
        "collectors.load_providers()\n"
        "import posture.rules.evaluate, posture.rules.frameworks\n"
        "from posture.rules.packs import import_rule_packs\n"
        "import_rule_packs()\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(bad))\n"
    )
    # posture/__init__ imports the Celery app, which must not import Django either
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"Django modules imported: {result.stdout}"


def test_rule_packs_import_without_django() -> None:
    code = (
        "import sys\n"
        "from posture.rules.packs import import_rule_packs\n"
        "import_rule_packs()\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('django.db'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
