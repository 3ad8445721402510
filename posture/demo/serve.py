"""Serve the demo's dashboard with gunicorn, as `make serve` does, while the demo's emulators run here.

Gunicorn runs as a child process in its own session: its workers fork from a clean process (not
from this one, whose emulator threads would leave them hanging on exit), and Ctrl-C reaches this
process only, which passes it on once and waits for gunicorn to stop before the emulators stop.
What the demo changed in this process's settings reaches gunicorn through the environment: the
loopback networks its emulators listen on. Static files are collected first and served by WhiteNoise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command

WORKERS = 2
THREADS = 4
TIMEOUT = 300  # a scan started from the page runs in the request (Celery is eager in the demo)
GRACE = 20  # seconds gunicorn gives its workers to finish on Ctrl-C


def gunicorn_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The gunicorn invocation: the project's WSGI application on loopback, threaded workers."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "posture.wsgi",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--timeout",
        str(TIMEOUT),
        "--graceful-timeout",
        str(GRACE),
        "--no-control-socket",  # one ~/.gunicorn/gunicorn.ctl per user: a second demo would take it over
    ]


def gunicorn_env() -> dict[str, str]:
    """This process's environment, plus the networks the demo allowed (its emulators on loopback)."""
    return {**os.environ, "POSTURE_ALLOWED_NETWORKS": ",".join(settings.ALLOWED_NETWORKS)}


def serve(port: int, host: str = "127.0.0.1") -> int:
    """Collect the static files, then serve until gunicorn exits or Ctrl-C; gunicorn's exit code."""
    call_command("collectstatic", interactive=False, verbosity=0)
    for signum in (signal.SIGINT, signal.SIGTERM):  # even where started with SIGINT ignored (a background job)
        signal.signal(signum, signal.default_int_handler)
    server = subprocess.Popen(
        gunicorn_command(port, host), env=gunicorn_env(), cwd=settings.BASE_DIR, start_new_session=True
    )
    try:
        return server.wait()
    except KeyboardInterrupt:
        return stop(server)


def stop(server: subprocess.Popen) -> int:
    """Ask gunicorn to stop (its workers finish their requests); kill it only if it does not."""
    server.send_signal(signal.SIGINT)
    try:
        return server.wait(timeout=GRACE + 10)
    except subprocess.TimeoutExpired:
        server.kill()
        return server.wait()
