"""The WSGI entry point comes up warmed and frozen: a full collection does not walk start-up's objects."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wsgi_application_is_warmed_up_and_frozen(tmp_path) -> None:
    code = (
        "import gc, posture.wsgi, sys\n"
        "assert 'posture.api.views.findings' in sys.modules, 'views not imported at start-up'\n"
        "assert {'fpdf', 'pygal'} <= set(sys.modules), 'what views import late is not preloaded'\n"
        "print(gc.get_freeze_count())\n"
    )
    env = {**os.environ, "POSTURE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "posture.settings"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 100_000  # modules, URL patterns, the rule catalogue
