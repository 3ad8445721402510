"""Serve the demo's dashboard with gunicorn, from the demo's own process.

Gunicorn runs in this process (its application API, not a second command) so that its workers,
forked from here, inherit what the demo set up in the configured settings: the loopback networks its
emulators listen on, and the environment. Static files are collected first and served by WhiteNoise (see the settings'
middleware). Ctrl-C makes gunicorn stop its workers and leave with SystemExit(0), so the caller's
``finally`` stops the emulators.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.db import connections
from gunicorn.app.base import BaseApplication

WORKERS = 2
THREADS = 4
TIMEOUT = 300  # a scan started from the page runs in the request (Celery is eager in the demo)


def gunicorn_options(port: int, host: str = "127.0.0.1") -> dict[str, Any]:
    """The gunicorn settings the demo serves with: loopback only, threaded workers."""
    return {
        "bind": f"{host}:{port}",
        "workers": WORKERS,
        "worker_class": "gthread",
        "threads": THREADS,
        "timeout": TIMEOUT,
        "graceful_timeout": 20,  # a worker takes a few seconds to leave on a busy machine; then it is killed
        "control_socket_disable": True,  # one ~/.gunicorn/gunicorn.ctl per user: a second demo would take it over
        # Each worker loads the application after the fork. Loaded before it (preload), the workers hang
        # on Ctrl-C until gunicorn kills them.
        "preload_app": False,
        "proc_name": "posture-demo",
    }


class DemoServer(BaseApplication):
    """Gunicorn over the already configured Django application."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from posture.wsgi import application  # warmed up and frozen, as `make serve` serves it

        return application


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Collect the static files, then serve until Ctrl-C (which raises SystemExit(0))."""
    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()  # the workers open their own
    DemoServer(gunicorn_options(port, host)).run()
