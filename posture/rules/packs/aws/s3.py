"""S3 rules: HTTPS only, MFA delete, Block Public Access, no public principals or public ACL grants,
object-level CloudTrail logging of each bucket."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.support import as_list, is_public_principal, public_principal_verdict, statements, where
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Status, Verdict, check, failed, observed, unreadable

BLOCK_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
# the ACL grantee groups that open a bucket to everyone: anyone at all, and anyone signed in to any AWS account
PUBLIC_GROUPS = {"allusers": "everyone (AllUsers)", "authenticatedusers": "any AWS account (AuthenticatedUsers)"}


def denies_insecure_transport(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Deny" or not is_public_principal(statement.get("Principal")):
        return False
    actions = as_list(statement.get("Action"))
    if not any(str(a).lower() in ("*", "s3:*") for a in actions):  # action names are case-insensitive
        return False
    for block in ("Bool", "BoolIfExists"):
        value = ((statement.get("Condition") or {}).get(block) or {}).get("aws:SecureTransport")
        if str(value).lower() in ("false", "['false']"):
            return True
        if isinstance(value, list) and "false" in [str(v).lower() for v in value]:
            return True
    return False


@rule(
    id="aws.s3.bucket_denies_http",
    title="S3 bucket policy denies requests over HTTP",
    severity="medium",
    category="encryption",
    resource_type="aws.s3.bucket",
    rationale="Without a deny on aws:SecureTransport=false, clients may read and write objects over plain HTTP.",
    remediation='Add a statement: Effect Deny, Principal "*", Action "s3:*", Resource the bucket and its objects, '
    'Condition {"Bool": {"aws:SecureTransport": "false"}}.',
)
def bucket_denies_http(resource: ResourceRecord, ctx: Any) -> Verdict:
    problem = unreadable(resource, "Policy")
    if problem:
        return problem
    policy = resource.config.get("Policy")
    return check(
        any(denies_insecure_transport(s) for s in statements(policy)),
        "the bucket policy denies requests without TLS",
        "the bucket policy does not deny requests without TLS" if policy else "the bucket has no bucket policy",
        observed(resource.config, "Policy.Statement"),
    )


@rule(
    id="aws.s3.bucket_mfa_delete_enabled",
    title="MFA Delete is enabled on S3 buckets",
    severity="low",
    category="encryption",
    resource_type="aws.s3.bucket",
    rationale="MFA Delete makes deleting object versions or suspending versioning need a second factor.",
    remediation="As root with MFA: aws s3api put-bucket-versioning --bucket NAME "
    '--versioning-configuration Status=Enabled,MFADelete=Enabled --mfa "SERIAL CODE"',
)
def bucket_mfa_delete(resource: ResourceRecord, ctx: Any) -> Verdict:
    problem = unreadable(resource, "Versioning")
    if problem:
        return problem
    versioning = resource.config.get("Versioning") or {}
    return check(
        versioning.get("Status") == "Enabled" and versioning.get("MFADelete") == "Enabled",
        "versioning and MFA Delete are enabled",
        "MFA Delete is not enabled",
        observed(resource.config, "Versioning.Status"),
        observed(resource.config, "Versioning.MFADelete"),
    )


def blocks_all(settings: Any) -> bool:
    return isinstance(settings, dict) and all(settings.get(k) is True for k in BLOCK_SETTINGS)


def ignores_public_acls(settings: Any) -> bool:
    return isinstance(settings, dict) and settings.get("IgnorePublicAcls") is True


def block_settings(resource: ResourceRecord, ctx: Any) -> tuple[Any, Any, list[Evidence]]:
    """The bucket's and the account's Block Public Access settings (None where not set or not collected), and
    the evidence of both."""
    own = resource.config.get("PublicAccessBlockConfiguration")
    evidence = [observed(resource.config, "PublicAccessBlockConfiguration")]
    accounts = ctx.resources("aws.s3.account")
    account_block = accounts[0].config.get("PublicAccessBlockConfiguration") if accounts else None
    if accounts:
        evidence.append(Evidence(where(accounts[0], "PublicAccessBlockConfiguration"), account_block))
    return own, account_block, evidence


def public_group(grantee: Any) -> str | None:
    """Whom a grant opens the bucket to, when its grantee is one of S3's public groups."""
    uri = str(grantee.get("URI") or "") if isinstance(grantee, dict) else ""
    return PUBLIC_GROUPS.get(uri.rstrip("/").rpartition("/")[2].lower()) if "/groups/global/" in uri else None


@rule(
    id="aws.s3.bucket_blocks_public_access",
    title="S3 Block Public Access is on for the bucket (or for the whole account)",
    severity="high",
    category="exposure",
    resource_type="aws.s3.bucket",
    rationale="Block Public Access overrides ACLs and policies that would expose data publicly.",
    remediation="aws s3api put-public-access-block --bucket NAME --public-access-block-configuration "
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true "
    "(or the same for the account with aws s3control put-public-access-block).",
)
def bucket_blocks_public_access(resource: ResourceRecord, ctx: Any) -> Verdict:
    own, account_block, evidence = block_settings(resource, ctx)
    if blocks_all(own) or blocks_all(account_block):
        return check(True, "all four Block Public Access settings apply to the bucket", "", *evidence)
    problem = unreadable(resource, "PublicAccessBlock")
    if problem:
        return problem
    return check(False, "", "Block Public Access is not fully on for the bucket or the account", *evidence)


@rule(
    id="aws.s3.bucket_acl_not_public",
    title="S3 bucket ACL grants nothing to everyone or to all AWS users",
    severity="high",
    category="exposure",
    resource_type="aws.s3.bucket",
    rationale="An ACL grant to the AllUsers or AuthenticatedUsers group lets anyone, or anyone with any AWS "
    "account, list, read or write the bucket, whatever its policy says; Block Public Access's IgnorePublicAcls "
    "makes S3 disregard such grants.",
    remediation="aws s3api put-bucket-acl --bucket NAME --acl private, then aws s3api put-bucket-ownership-controls "
    "--bucket NAME --ownership-controls Rules=[{ObjectOwnership=BucketOwnerEnforced}] to turn ACLs off; or turn "
    "IgnorePublicAcls on for the bucket or the account.",
)
def bucket_acl_not_public(resource: ResourceRecord, ctx: Any) -> Verdict:
    own, account_block, block_evidence = block_settings(resource, ctx)
    evidence = [observed(resource.config, "Acl.Grants"), *block_evidence]
    settings = {"bucket": own, "account": account_block}
    ignored_by = next((who for who, block in settings.items() if ignores_public_acls(block)), None)
    grants = (resource.config.get("Acl") or {}).get("Grants") or []
    opened: dict[str, list[str]] = {}
    for grant in (g for g in grants if isinstance(g, dict)):
        group = public_group(grant.get("Grantee"))
        if group:
            opened.setdefault(group, []).append(str(grant.get("Permission")))
    said = "; ".join(f"{', '.join(perms)} to {group}" for group, perms in opened.items())
    if ignored_by:
        message = f"the ACL grants {said}, but IgnorePublicAcls is on for the {ignored_by}, so S3 ignores it"
        return check(True, message if opened else f"IgnorePublicAcls is on for the {ignored_by}", "", *evidence)
    problem = unreadable(resource, "Acl")
    if problem:
        return problem
    return check(not opened, "the ACL grants nothing to a public group", f"the ACL grants {said}", *evidence)


@rule(
    id="aws.s3.account_blocks_public_access",
    title="S3 Block Public Access is on for the account",
    severity="high",
    category="exposure",
    resource_type="aws.s3.account",
    rationale="Account-level Block Public Access protects every bucket, including ones created later.",
    remediation="aws s3control put-public-access-block --account-id ACCOUNT --public-access-block-configuration "
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
)
def account_blocks_public_access(resource: ResourceRecord, ctx: Any) -> Verdict:
    if not blocks_all(resource.config.get("PublicAccessBlockConfiguration")):
        problem = unreadable(resource, "PublicAccessBlock")
        if problem:
            return problem
    return check(
        blocks_all(resource.config.get("PublicAccessBlockConfiguration")),
        "all four account-level Block Public Access settings are on",
        "account-level Block Public Access is not fully on",
        observed(resource.config, "PublicAccessBlockConfiguration"),
    )


@rule(
    id="aws.s3.bucket_policy_no_public_principal",
    title='S3 bucket policy does not allow Principal "*" without conditions',
    severity="high",
    category="exposure",
    resource_type="aws.s3.bucket",
    rationale='A policy statement allowing Principal "*" lets anyone, authenticated or not, use the bucket.',
    remediation="Name the principals, or add a condition such as aws:PrincipalOrgID, aws:SourceAccount or "
    "aws:SourceVpce to the statement.",
)
def bucket_policy_no_public_principal(resource: ResourceRecord, ctx: Any) -> Verdict:
    verdict = public_principal_verdict(resource, "Policy", "Policy")
    status = resource.config.get("PolicyStatus")
    if verdict.status != Status.PASS or not (isinstance(status, dict) and status.get("IsPublic") is True):
        return verdict
    # S3's own evaluation (GetBucketPolicyStatus) is stricter than ours about some conditions: a wide source
    # range, a wildcard in a source ARN; a policy it calls public is public, whatever we made of its conditions
    return failed(
        "S3 judges the bucket policy public (GetBucketPolicyStatus IsPublic), though no statement allows "
        'Principal "*" without a condition read here as restricting',
        observed(resource.config, "PolicyStatus.IsPublic"),
        *verdict.evidence,
    )


def covers_bucket(value: str, bucket: str) -> bool:
    return (
        value in ("arn:aws:s3", "arn:aws:s3:::", "arn:aws:s3:::*")
        or value.startswith(f"arn:aws:s3:::{bucket}/")
        or value == f"arn:aws:s3:::{bucket}"
    )


def basic_selectors_log(trail: ResourceRecord, bucket: str, kinds: tuple[str, ...]) -> bool:
    for selector in trail.config.get("EventSelectors") or []:
        if selector.get("ReadWriteType", "All") not in kinds:
            continue
        for data in selector.get("DataResources") or []:
            if data.get("Type") == "AWS::S3::Object" and any(
                covers_bucket(v, bucket) for v in data.get("Values") or []
            ):
                return True
    return False


def advanced_selectors_log(trail: ResourceRecord, bucket: str, read: bool) -> bool:
    for selector in trail.config.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
        if (fields.get("eventCategory") or {}).get("Equals") != ["Data"]:
            continue
        if (fields.get("resources.type") or {}).get("Equals") != ["AWS::S3::Object"]:
            continue
        read_only = fields.get("readOnly")
        if read_only is not None and read_only.get("Equals") not in (["true" if read else "false"],):
            continue
        arn = fields.get("resources.ARN")
        if arn is not None:
            prefixes = arn.get("StartsWith") or []
            equals = arn.get("Equals") or []
            if not any(f"arn:aws:s3:::{bucket}/".startswith(p) for p in prefixes) and not any(
                e.startswith(f"arn:aws:s3:::{bucket}/") for e in equals
            ):
                continue
        return True
    return False


def object_logging_verdict(resource: ResourceRecord, ctx: Any, read: bool) -> Verdict:
    bucket = resource.name
    kinds = ("ReadOnly", "All") if read else ("WriteOnly", "All")
    what = "read" if read else "write"
    trails = [t for t in ctx.resources("aws.cloudtrail.trail") if (t.config.get("Status") or {}).get("IsLogging")]
    for trail in trails:
        if basic_selectors_log(trail, bucket, kinds) or advanced_selectors_log(trail, bucket, read):
            return check(
                True,
                f"trail {trail.name} logs object-level {what} events for the bucket",
                "",
                Evidence(where(trail, "EventSelectors"), trail.config.get("EventSelectors")),
                Evidence(where(trail, "AdvancedEventSelectors"), trail.config.get("AdvancedEventSelectors")),
            )
    return check(
        False,
        "",
        f"no logging trail records object-level {what} events for the bucket",
        Evidence("aws.cloudtrail.trail", [t.name for t in trails]),
    )


@rule(
    id="aws.s3.bucket_object_write_events_logged",
    title="Object-level logging of write events is enabled for the S3 bucket",
    severity="low",
    category="logging",
    resource_type="aws.s3.bucket",
    rationale="Data events show who wrote or deleted which object, needed to investigate tampering.",
    remediation="Add an S3 data event selector (WriteOnly or All) for the bucket, or all buckets, to a trail.",
)
def bucket_object_write_logged(resource: ResourceRecord, ctx: Any) -> Verdict:
    return object_logging_verdict(resource, ctx, read=False)


@rule(
    id="aws.s3.bucket_object_read_events_logged",
    title="Object-level logging of read events is enabled for the S3 bucket",
    severity="low",
    category="logging",
    resource_type="aws.s3.bucket",
    rationale="Data events show who read which object, needed to scope a data exposure.",
    remediation="Add an S3 data event selector (ReadOnly or All) for the bucket, or all buckets, to a trail.",
)
def bucket_object_read_logged(resource: ResourceRecord, ctx: Any) -> Verdict:
    return object_logging_verdict(resource, ctx, read=True)
