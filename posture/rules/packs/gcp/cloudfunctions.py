"""Cloud Functions rules: no literal secrets in a function's environment variables."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, errored

FUNCTION = "gcp.cloudfunctions.function"
LITERAL_SECRETS_KEY = "_literalSecrets"  # collectors.gcp.cloud_functions: flagged variables, values redacted


@rule(
    id="gcp.cloudfunctions.no_secrets_in_environment",
    title="Cloud Functions keep no secrets in plain environment variables",
    severity="high",
    category="workload",
    resource_type=FUNCTION,
    rationale="Plain environment variables are shown to anyone who can view the function and copied into every "
    "revision; a secret there is not access-controlled, audited or rotatable.",
    remediation="Store the secret in Secret Manager and reference it as a secret environment variable or a "
    "mounted secret volume; rotate the exposed value.",
)
def no_secrets_in_environment(resource: ResourceRecord, ctx) -> Verdict:
    found = resource.config.get(LITERAL_SECRETS_KEY)
    if not isinstance(found, list):
        return errored("the function's environment was not checked for secrets", (LITERAL_SECRETS_KEY, found))
    names = [f"{f.get('where')}.{f.get('name')}" for f in found if isinstance(f, dict)]
    return check(
        not names,
        "no environment variable holds a literal secret",
        f"{len(names)} environment variable(s) hold a literal secret",
        ("environmentVariables[literal secret]", names),
    )
