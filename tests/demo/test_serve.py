"""The demo serves through gunicorn (no development server), static files included, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from posture.demo.serve import gunicorn_options
from tests.faults.servers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
SERVE = """
import django, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from posture.demo.serve import serve
serve(int(sys.argv[1]))
"""


def test_the_options_bind_loopback_with_threaded_workers() -> None:
    options = gunicorn_options(8123)
    assert options["bind"] == "127.0.0.1:8123" and options["worker_class"] == "gthread"
    assert options["workers"] >= 2 and options["control_socket_disable"] is True


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_gunicorn_answers_pages_and_static_files_then_stops_on_ctrl_c(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["POSTURE_DATA_DIR"] = str(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_for_port(port, timeout=60)
        status, _, body = get(f"http://127.0.0.1:{port}/login/")
        assert status == 200 and b"<form" in body
        stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', body).group(1).decode()  # as the page links it
        status, headers, css = get(f"http://127.0.0.1:{port}{stylesheet}")
        assert status == 200 and headers["Content-Type"].startswith("text/css") and css
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    log = (out + err).decode()
    assert proc.returncode == 0, log
    assert "gunicorn" in log.lower() and "development server" not in log.lower(), log
    assert "Handling signal: int" in log and "Shutting down" in log and "SIGKILL" not in log, log
