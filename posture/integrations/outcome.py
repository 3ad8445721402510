"""The result of one delivery attempt, and which failures are worth retrying."""

from __future__ import annotations

from dataclasses import dataclass

import requests

# worth retrying: the remote end is down, overloaded, or our credentials may be fixed meanwhile
TRANSIENT_STATUSES = frozenset({401, 403, 408, 409, 425, 429})


@dataclass
class Outcome:
    ok: bool
    code: int | None = None
    error: str = ""
    transient: bool = False
    result: str = ""
    skipped: bool = False


def classify_status(code: int) -> bool:
    """True if an HTTP status is worth retrying."""
    return code >= 500 or code in TRANSIENT_STATUSES


def network_error(exc: requests.RequestException) -> Outcome:
    kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
    # the exception text names host and port, never credentials (they travel in headers)
    return Outcome(ok=False, transient=True, error=f"{kind}: {type(exc).__name__}")
