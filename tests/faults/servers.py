"""Private PostgreSQL and Redis servers for fault injection: started, stopped and restarted at will.

Each runs on a free port of 127.0.0.1 with its data in a temporary directory, so the shared
servers (5432, 6379) and the other people using them are never disturbed. Used by the tests
in this folder (as pytest fixtures) and by ``benchmarks/faults.py`` (as plain classes).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

POSTGRES_USER = "postgres"


class Missing(Exception):
    """A server binary is not installed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, up: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} still {'closed' if up else 'open'} after {timeout} s")


def scratch_dir(prefix: str) -> Path:
    """A temporary directory any user can enter (pytest's own are root-only, and PostgreSQL runs as postgres)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


class PrivateRedis:
    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise Missing("redis-server is not installed (apt-get install redis-server)")
        self.dir = scratch_dir("posture-faults-redis-")
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, 10)

    def stop(self) -> None:
        """Gone: connections are refused."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)  # a frozen server cannot exit
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None
        wait_for_port(self.port, 5, up=False)

    def freeze(self) -> None:
        """Hung: connections are accepted by the kernel, nothing ever answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivatePostgres:
    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        if not found:
            raise Missing("PostgreSQL server binaries are not installed (apt-get install postgresql)")
        self.bin = Path(found[-1]).parent
        self.dir = scratch_dir("posture-faults-pg-")
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", POSTGRES_USER, "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, POSTGRES_USER)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self.as_postgres, str(self.bin / tool), *args],
            cwd=self.dir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode:
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run(
            "pg_ctl", action, "-D", str(self.data), "-w", "-t", "30", "-l", str(self.dir / "log"), "-o", options, *extra
        )

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        """Fast shutdown: every session is disconnected, open transactions roll back."""
        self._pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)

    def create_database(self, name: str, template: str | None = None) -> str:
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def unavailable(reason: str) -> None:
    """Skip without the server binaries, unless CI says services must be there (then fail)."""
    if os.environ.get("POSTURE_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def private_redis():
    try:
        server = PrivateRedis()
    except Missing as exc:
        unavailable(str(exc))
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def private_postgres():
    try:
        server = PrivatePostgres()
    except Missing as exc:
        unavailable(str(exc))
    server.start()
    yield server
    server.close()


@pytest.fixture
def redis_up(private_redis):
    """The private Redis, running (tests stop and freeze it)."""
    private_redis.start()
    yield private_redis
    if private_redis.process is not None:
        private_redis.thaw()
    private_redis.start()
