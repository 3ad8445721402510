"""Whether a Google API is enabled in a project: a refusal saying SERVICE_DISABLED is an answer, not a failure.

Google answers a call to an API the project has not enabled with 403 and the reason ``SERVICE_DISABLED``
(google.rpc.ErrorInfo, in ``error.details``) or, on the older JSON APIs, ``accessNotConfigured`` (in
``error.errors``). The collectors that meet it record the API as not enabled in the project and go on.
"""

from __future__ import annotations

import google.api_core.exceptions as gexc

DISABLED_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured"})
SERVICE_ENABLED_KEY = "serviceEnabled"  # on the per-project summaries: False where the API is not enabled


def api_disabled(exc: BaseException) -> bool:
    """``exc`` is Google saying the API is not enabled in the project (not a missing permission)."""
    if not isinstance(exc, (gexc.Forbidden, gexc.PermissionDenied)):
        return False
    if getattr(exc, "reason", None) in DISABLED_REASONS:
        return True
    return any(isinstance(e, dict) and e.get("reason") in DISABLED_REASONS for e in getattr(exc, "errors", ()) or ())


def not_enabled(api: str) -> str:
    """The words recorded for an API that is not enabled (``dns.googleapis.com``)."""
    return f"{api} is not enabled in the project"
