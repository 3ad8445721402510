"""Cloud Functions (API v2, plain REST; first- and second-generation functions alike), every location at once.

A function's plain environment variables (run time and build time) are configuration; one that holds a literal
secret (:func:`collectors.literal_secrets.literal_secret`) is replaced by a redaction mark and named, with the
reason, under ``_literalSecrets``: the value itself never leaves the collector. A project whose Cloud Functions
API is not enabled has no functions to read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from collectors.gcp.api_state import api_disabled
from collectors.gcp.common import full_name, location_of, per_project, record
from collectors.gcp.session import GcpSession
from collectors.literal_secrets import literal_secret
from collectors.records import ResourceRecord
from collectors.redact import REDACTED
from collectors.registry import REGISTRY

log = logging.getLogger(__name__)
LITERAL_SECRETS_KEY = "_literalSecrets"
ENV_PLACES = ("serviceConfig", "buildConfig")


def clean_function(function: dict[str, Any]) -> dict[str, Any]:
    """The function with literal secrets in its environment redacted and listed (name, where, why)."""
    found: list[dict[str, str]] = []
    for place in ENV_PLACES:
        section = function.get(place)
        env = section.get("environmentVariables") if isinstance(section, dict) else None
        if not isinstance(env, dict):
            continue
        for name, value in env.items():
            reason = literal_secret(str(name), value if isinstance(value, str) else str(value))
            if reason is not None:
                env[name] = REDACTED
                found.append({"name": str(name), "where": f"{place}.environmentVariables", "reason": reason})
    function[LITERAL_SECRETS_KEY] = found
    return function


def _functions(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    try:
        functions = list(session.pages("cloudfunctions", f"v2/projects/{project}/locations/-/functions", "functions"))
    except Exception as exc:
        if api_disabled(exc):
            log.info("gcp: the Cloud Functions API is not enabled in %s: no functions", project)
            return
        raise
    for function in functions:
        name = str(function.get("name", ""))
        region = location_of(name)
        if not session.in_scope(region):
            continue
        config = clean_function(dict(function))
        yield record(
            "cloudfunctions", "function", full_name("cloudfunctions", name), name.rsplit("/", 1)[-1], project,
            config, region, config.get("labels"),
        )  # fmt: skip


@REGISTRY.collector("gcp", "cloudfunctions", regional=False, permissions=("cloudfunctions.functions.list",))
def collect_functions(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _functions)
