"""A cloud account's failure as a message: what failed and why in words, never the exception's text.

Shared by the scan pipeline (a scan that cannot start) and the connection test. The raw detail is
logged at DEBUG only, with the account's own credential values and anything shaped like a credential
scrubbed (:mod:`collectors.failures`).
"""

from __future__ import annotations

import logging

from collectors import REGISTRY
from collectors.failures import log_failure
from collectors.permissions import explain
from collectors.redact import credential_values
from posture.inventory.models import CloudAccount

log = logging.getLogger(__name__)


def failure_message(account: CloudAccount, exc: BaseException, what: str) -> str:
    """``what: why in words (facts)`` for a failure of ``account``'s cloud; logged, the raw detail at DEBUG only."""
    known = account_secrets(account)
    try:
        kind = REGISTRY.provider(account.provider).classify_error(exc)
    except Exception:  # an unknown provider: its own error says so
        kind = "error"
    message = f"{what}: {explain(account.provider, exc, kind, known)}"
    log_failure(log, logging.WARNING, f"{account.name}: {message}", exc, known)
    return message


def account_secrets(account: CloudAccount) -> list[str]:
    """The account's credential values, to scrub from error detail; none when they cannot be read."""
    try:
        return credential_values(account.target().credentials)
    except Exception:  # undecryptable or a missing cloud account: nothing to search for
        return []
