"""Ways to catch a scan at the worst moment, and to wait for its outcome."""

from __future__ import annotations

import contextlib
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

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):  # already cut when the server restarted
            self.conn.close()

    def waiting(self) -> dict[str, Any] | None:
        rows = self.app.query(
            "SELECT pid, backend_xid IS NOT NULL, query FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return {"pid": rows[0][0], "wrote": rows[0][1], "query": rows[0][2]} if rows else None

    def wait_for_a_writer(self, account: str | None = None, timeout: float = 60) -> dict[str, Any] | None:
        """The session waiting on the lock (``wrote``: its transaction has written rows).

        With ``account``, None as soon as that account's newest scan is final instead.
        """

        def check() -> Any:
            if account is not None:
                scan = self.app.scan_of(account)
                if scan and scan["state"] in FINAL:
                    return {"final": scan}
            return self.waiting()

        found = self.app.wait_for("a scan waiting on the findings table", check, timeout)
        return None if "final" in found else found
