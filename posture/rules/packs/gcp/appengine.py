"""App Engine rules: serving versions redirect every request to HTTPS."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check

VERSION = "gcp.appengine.version"


@rule(
    id="gcp.appengine.version_https_only",
    title="App Engine versions redirect every URL to HTTPS",
    severity="medium",
    category="encryption",
    resource_type=VERSION,
    rationale="A handler that also answers plain HTTP sends its pages, cookies and credentials readable by anyone "
    "on the path.",
    remediation="Set 'secure: always' on every handler in app.yaml and deploy a new version.",
)
def version_https_only(resource: ResourceRecord, ctx) -> Verdict | None:
    handlers = [h for h in resource.config.get("handlers") or [] if isinstance(h, dict)]
    if not handlers or resource.config.get("servingStatus") == "STOPPED":
        return None  # no URL handlers (flexible environment), or not serving
    loose = [
        {"urlRegex": h.get("urlRegex"), "securityLevel": h.get("securityLevel") or "SECURE_DEFAULT"}
        for h in handlers
        if h.get("securityLevel") != "SECURE_ALWAYS"
    ]
    return check(
        not loose,
        "every handler redirects to HTTPS",
        f"{len(loose)} handler(s) also answer plain HTTP",
        ("handlers[securityLevel != SECURE_ALWAYS]", loose),
    )
