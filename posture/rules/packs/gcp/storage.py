"""Cloud Storage rules: buckets not public, public access prevention, uniform access, log-bucket retention."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.helpers import public_bindings
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, lookup, observed, unreadable

BUCKET = "gcp.storage.bucket"


@rule(
    id="gcp.storage.bucket_not_public",
    title="Cloud Storage bucket is not anonymously or publicly accessible",
    severity="critical",
    category="exposure",
    resource_type=BUCKET,
    rationale="allUsers or allAuthenticatedUsers in a bucket policy lets anyone on the internet read or write it.",
    remediation="Remove allUsers and allAuthenticatedUsers from the bucket's IAM policy and enforce public "
    "access prevention.",
)
def not_public(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    public = public_bindings(c.get("iamPolicy"))
    public += [
        {"acl": a.get("role"), "members": [a.get("entity")]}
        for key in ("acl", "defaultObjectAcl")
        for a in c.get(key) or []
        if isinstance(a, dict) and a.get("entity") in ("allUsers", "allAuthenticatedUsers")
    ]
    prevented = lookup(c, "iamConfiguration.publicAccessPrevention") == "enforced"
    if public or prevented:
        return check(
            prevented,
            "public access prevention is enforced",
            "the bucket grants access to the public",
            ("iamPolicy.bindings[public]", public),
            observed(c, "iamConfiguration.publicAccessPrevention"),
        )
    return unreadable(resource, "iamPolicy") or check(
        True,
        "no binding grants access to allUsers or allAuthenticatedUsers",
        "",
        ("iamPolicy.bindings[public]", public),
        observed(c, "iamConfiguration.publicAccessPrevention"),
    )


field_rule(
    id="gcp.storage.bucket_public_access_prevention",
    title="Cloud Storage bucket enforces public access prevention",
    severity="medium",
    category="exposure",
    resource_type=BUCKET,
    path="iamConfiguration.publicAccessPrevention",
    expect="enforced",
    ok="public access prevention is enforced",
    bad="public access prevention is not enforced",
    rationale="Public access prevention stops a later policy change from making the bucket public.",
    remediation="Set iamConfiguration.publicAccessPrevention to enforced (or enforce it by organization policy).",
)


field_rule(
    id="gcp.storage.bucket_uniform_access",
    title="Cloud Storage bucket has uniform bucket-level access",
    severity="medium",
    category="identity",
    resource_type=BUCKET,
    path="iamConfiguration.uniformBucketLevelAccess.enabled",
    expect=True,
    ok="uniform bucket-level access is on",
    bad="object ACLs still apply",
    rationale="Uniform access makes IAM the only access control; object ACLs can no longer leak objects.",
    remediation="Enable uniform bucket-level access on the bucket.",
)


@rule(
    id="gcp.storage.log_bucket_retention_locked",
    title="Bucket receiving exported logs has a locked retention policy",
    severity="medium",
    category="logging",
    resource_type=BUCKET,
    rationale="A locked retention policy keeps exported logs from being deleted or shortened by an intruder.",
    remediation="Set a retention policy on the log bucket and lock it (Bucket Lock).",
)
def log_bucket_retention(resource: ResourceRecord, ctx) -> Verdict | None:
    destination = f"storage.googleapis.com/{resource.config.get('name', resource.name)}"
    sinks = [s.name for s in ctx.resources("gcp.logging.sink") if s.config.get("destination") == destination]
    if not sinks:
        return None  # not a log export destination
    c = resource.config
    return check(
        bool(lookup(c, "retentionPolicy.retentionPeriod")) and lookup(c, "retentionPolicy.isLocked") is True,
        "exported logs are kept by a locked retention policy",
        "the log bucket has no locked retention policy",
        observed(c, "retentionPolicy.retentionPeriod"),
        observed(c, "retentionPolicy.isLocked"),
        ("sinks", sinks),
    )
