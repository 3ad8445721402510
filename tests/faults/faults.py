"""Ways to catch a scan at the worst moment, and to wait for its outcome."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from tests.faults.app import App
from tests.faults.servers import PrivatePostgres

FINAL = ("succeeded", "partial", "failed", "cancelled")


def final_scan(app: App, account: str, after: int = 0, timeout: float = 60) -> dict[str, Any]:
    """The account's newest scan (newer than ``after``) once it reached a final state."""

    def done() -> dict[str, Any] | None:
        scan = app.scan_of(account)
        return scan if scan and scan["id"] > after and scan["state"] in FINAL else None

    return app.wait_for(f"final scan of {account}", done, timeout)


class FindingsLock:
    """Holds the findings table locked, so a scan that is storing its results waits inside its transaction.

    Persistence writes the resources first, then reads the account's findings: a scan caught
    waiting here has half a batch in flight, which is when the database goes away.
    """

    def __init__(self, server: PrivatePostgres, app: App) -> None:
        self.server, self.app = server, app
        self.database = app.database_url.rsplit("/", 1)[1]
        self.conn = None

    def __enter__(self) -> FindingsLock:
        import psycopg

        self.conn = psycopg.connect(self.server.url(self.database), connect_timeout=5)
        self.conn.execute("LOCK TABLE findings_finding IN ACCESS EXCLUSIVE MODE")
        return self

    def wait_until_quiet(self, quiet_for: float = 1.0) -> None:
        """What an earlier scan set going after it finished is done, so it cannot hold the one worker at the lock:
        the exposure-path rebuild it asked for (a reader of the findings, queued behind the scan) has run, and no
        other session has been busy on the database for ``quiet_for`` seconds."""
        since = [time.monotonic()]

        def quiet() -> bool:
            ((busy, rebuild_pending),) = self.app.query(
                "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                "         AND pid <> pg_backend_pid() AND state <> 'idle'),"
                "       EXISTS (SELECT 1 FROM paths_pathbuild WHERE queued OR built < requests)"
            )
            if busy or rebuild_pending:
                since[0] = time.monotonic()
            return time.monotonic() - since[0] >= quiet_for

        self.app.wait_for("a quiet database", quiet)

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):  # already cut when the server restarted
            self.conn.close()

    def waiting(self, writers_only: bool = False) -> dict[str, Any] | None:
        """A session waiting on the lock; with ``writers_only``, only one whose transaction has written rows (a
        reader, such as the exposure-path refresh after an earlier scan, may be waiting too)."""
        rows = self.app.query(
            "SELECT pid, backend_xid IS NOT NULL, query FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            + (" AND backend_xid IS NOT NULL" if writers_only else "")
        )
        return {"pid": rows[0][0], "wrote": rows[0][1], "query": rows[0][2]} if rows else None

    def wait_for_a_writer(self, account: str | None = None, timeout: float = 60) -> dict[str, Any] | None:
        """The session waiting on the lock whose transaction has written rows (``wrote``).

        With ``account``, None as soon as that account's newest scan is final instead.
        """

        def check() -> Any:
            if account is not None:
                scan = self.app.scan_of(account)
                if scan and scan["state"] in FINAL:
                    return {"final": scan}
            return self.waiting(writers_only=True)

        found = self.app.wait_for("a scan waiting on the findings table", check, timeout)
        return None if "final" in found else found
