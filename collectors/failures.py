"""What a failure is called where people read it: fixed words per kind and the non-secret facts of the error.

Exception text is not a message: an SDK quotes what it was given, and a token with a trailing newline
comes back whole in ``Invalid header value b'Bearer ...\\n'``. So the stored and shown message is
built from the error's kind (each provider's ``classify_error``) in the words below, plus facts that
hold no secret: the exception's class, a cloud error code (``AccessDenied``), the HTTP status and the
API operation. The raw text goes to the DEBUG log only, scrubbed (:func:`log_failure`).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable

from collectors.redact import scrub_text

KIND_WORDS = {
    "denied": "access was denied",
    "unreachable": "the endpoint could not be reached",
    "throttled": "the API throttled the calls",
    "timeout": "the call timed out",
    "unsupported": "the API does not offer this call",
    "invalid_response": "the answer could not be read",
    "error": "the call failed",
}
CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")  # an error code or operation name, never free text
MAX_MESSAGE = 500


class StatedError(Exception):
    """An error whose message Posture wrote for people: shown as it is, since it quotes no exception text."""


def words(kind: str) -> str:
    return KIND_WORDS.get(kind, KIND_WORDS["error"])


def facts(exc: BaseException) -> list[str]:
    """Class, error code, HTTP status and operation of ``exc``, as far as the SDK exposes them."""
    found = [type(exc).__name__]
    code, status, operation = _code(exc), _status(exc), getattr(exc, "operation_name", None)
    if code and code != found[0]:
        found.append(code)
    if status:
        found.append(f"HTTP {status}")
    if isinstance(operation, str) and CODE.match(operation):
        found.append(f"in {operation}")
    if isinstance(exc, OSError) and isinstance(exc.strerror, str):  # the system's own words, no path
        found.append(exc.strerror)
    reason = getattr(exc, "reason", None)  # urllib3's MaxRetryError: "too many redirects" is its own fixed text
    if isinstance(reason, Exception) and "redirect" in str(reason).lower():
        found.append("a redirect, not followed")
    return found


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    candidates = [
        response.get("Error", {}).get("Code") if isinstance(response, dict) else None,  # botocore
        getattr(getattr(exc, "error", None), "code", None),  # azure-core
        getattr(exc, "reason", None) if isinstance(getattr(exc, "status", None), int) else None,  # kubernetes
    ]
    return next((c for c in candidates if isinstance(c, str) and CODE.match(c)), "")


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    candidates = [
        response.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(response, dict) else None,
        getattr(exc, "status_code", None),  # azure-core
        getattr(exc, "status", None),  # kubernetes
        getattr(exc, "code", None),  # google-api-core
        getattr(response, "status_code", None),  # requests
    ]
    return next((c for c in candidates if isinstance(c, int) and not isinstance(c, bool) and 100 <= c < 600), None)


def describe(exc: BaseException, kind: str, known: Iterable[str] = ()) -> str:
    """``access was denied (ClientError, AccessDenied, HTTP 403, in ListBuckets)``.

    A stated error says itself, with any credential it might quote (``known`` values, tokens) scrubbed.
    """
    if isinstance(exc, StatedError):
        return _short(scrub_text(str(exc), known, opaque=False))
    return _short(f"{words(kind)} ({', '.join(facts(exc))})")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def detail(exc: BaseException, known: Iterable[str] = ()) -> str:
    """The raw exception text, one line, with credentials scrubbed: for the DEBUG log, never for a page."""
    return scrub_text(" ".join(f"{type(exc).__name__}: {exc}".split()), known)


def traceback_detail(exc: BaseException, known: Iterable[str] = ()) -> str:
    """The traceback with the raw text, scrubbed: for the DEBUG log of a failure that is a bug."""
    return scrub_text("".join(traceback.format_exception(exc)), known)


def log_failure(
    logger: logging.Logger, level: int, message: str, exc: BaseException, known: Iterable[str] = ()
) -> None:
    """``message`` at ``level``; the scrubbed raw detail at DEBUG only."""
    logger.log(level, "%s", message)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s — detail: %s", message, detail(exc, known))
