"""The demo serves through gunicorn (no development server), static files included, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from posture.demo.serve import gunicorn_command, gunicorn_env
from tests.conftest import service_up
from tests.faults.servers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
SERVE = """
import django, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from posture.demo.serve import serve
sys.exit(serve(int(sys.argv[1])))
"""


def test_the_command_is_gunicorn_on_loopback_with_the_demos_networks(settings) -> None:
    command = gunicorn_command(8123)
    assert command[:4] == [sys.executable, "-m", "gunicorn", "posture.wsgi"]
    assert command[command.index("--bind") + 1] == "127.0.0.1:8123" and "runserver" not in command
    settings.ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    assert gunicorn_env()["POSTURE_ALLOWED_NETWORKS"] == "127.0.0.0/8,::1/128"


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    # the workers load the application after the port opens: on a busy machine that takes a while
    with urllib.request.urlopen(url, timeout=90) as response:
        return response.status, dict(response.headers), response.read()


def test_gunicorn_answers_pages_and_static_files_then_stops_on_ctrl_c(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["POSTURE_DATA_DIR"] = str(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # Ctrl-C reaches the terminal's foreground group: this process alone
    )
    try:
        wait_for_port(port, timeout=60)
        status, _, body = get(f"http://127.0.0.1:{port}/login/")
        assert status == 200 and b"<form" in body
        stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', body).group(1).decode()  # as the page links it
        status, headers, css = get(f"http://127.0.0.1:{port}{stylesheet}")
        assert status == 200 and headers["Content-Type"].startswith("text/css") and css
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does
        out, err = proc.communicate(timeout=60)
    log = (out + err).decode()
    assert proc.returncode == 0, log
    assert not service_up("127.0.0.1", port), "gunicorn stopped with the demo"
    assert "gunicorn" in log.lower() and "development server" not in log.lower(), log
    assert "Handling signal: int" in log and "Shutting down" in log and "SIGKILL" not in log, log
