"""An S3 bucket's settings as the ``aws.s3.bucket`` record holds them, from S3's own answers or AWS Config's item.

A bucket reads the same whichever source answered, so a scan that falls back from AWS Config to S3 (or the
other way) shows no change that did not happen. Where one source carries more than the other, the record keeps
what both carry: an ACL's owner and users by canonical id (S3 no longer returns display names), a logging
target as bucket and prefix (Config has no target grants or key format).

AWS Config's ``supplementaryConfiguration`` values arrive as JSON text, the ACL as JSON text of JSON text;
property names are those of AWS Config's resource schema for ``AWS::S3::Bucket``.
"""

from __future__ import annotations

import json
from typing import Any

BLOCK_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
GROUPS = {
    "AllUsers": "http://acs.amazonaws.com/groups/global/AllUsers",
    "AuthenticatedUsers": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "LogDelivery": "http://acs.amazonaws.com/groups/s3/LogDelivery",
}
PERMISSIONS = {
    "FullControl": "FULL_CONTROL",
    "Read": "READ",
    "Write": "WRITE",
    "ReadAcp": "READ_ACP",
    "WriteAcp": "WRITE_ACP",
}
GRANTEE_KEYS = ("Type", "ID", "URI", "EmailAddress")


def unwrapped(value: Any) -> Any:
    """A supplementary configuration value decoded from its JSON text (twice for the ACL); else as it came."""
    for _ in range(3):
        if not isinstance(value, str):
            return value
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return value


# --- from S3's own answers ---


def acl(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    """GetBucketAcl's answer: owner and grants, by canonical id, URI or e-mail."""
    if not answer:
        return None
    owner = answer.get("Owner") or {}
    grants = [
        {
            "Grantee": {k: v for k, v in (g.get("Grantee") or {}).items() if k in GRANTEE_KEYS},
            "Permission": g.get("Permission"),
        }
        for g in answer.get("Grants") or []
    ]
    return {"Owner": {"ID": owner.get("ID")} if owner else None, "Grants": grants}


def logging_target(enabled: dict[str, Any] | None) -> dict[str, Any] | None:
    """GetBucketLogging's ``LoggingEnabled``: where the access logs go."""
    if not enabled:
        return None
    return {"TargetBucket": enabled.get("TargetBucket"), "TargetPrefix": enabled.get("TargetPrefix") or ""}


def encryption(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    """GetBucketEncryption's ``ServerSideEncryptionConfiguration``: each default-encryption rule."""
    return encryption_rules(answer, S3_ENCRYPTION)


def versioning(answer: dict[str, Any]) -> dict[str, Any]:
    """GetBucketVersioning's answer: status and MFA Delete, where S3 names them."""
    return {k: answer[k] for k in ("Status", "MFADelete") if k in answer}


S3_ENCRYPTION = ("Rules", "ApplyServerSideEncryptionByDefault", "SSEAlgorithm", "KMSMasterKeyID", "BucketKeyEnabled")
CONFIG_ENCRYPTION = (
    "rules",
    "applyServerSideEncryptionByDefault",
    "sseAlgorithm",
    "kmsMasterKeyID",
    "bucketKeyEnabled",
)


def encryption_rules(value: dict[str, Any] | None, names: tuple[str, str, str, str, str]) -> dict[str, Any] | None:
    """Default-encryption rules in S3's words, from either source (``names``: its keys, in S3's order)."""
    rules_key, default_key, algorithm, key_id, bucket_key = names
    if not value or not value.get(rules_key):
        return None
    rules = []
    for rule in value[rules_key]:
        default = rule.get(default_key) or {}
        by_default = {"SSEAlgorithm": default.get(algorithm)}
        if default.get(key_id):
            by_default["KMSMasterKeyID"] = default[key_id]
        rules.append({"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": bool(rule.get(bucket_key))})
    return {"Rules": rules}


# --- from AWS Config's item ---


def from_config_item(item: dict[str, Any]) -> dict[str, Any]:
    """The settings a configuration item carries, keyed as the record keys S3's answers.

    A ValueError where the item lacks what every S3 bucket has (its ACL, policy, versioning and logging parts) or
    a part has a shape not known here: the bucket is then read through S3, never stored half-known.
    """
    extra = {k: unwrapped(v) for k, v in (item.get("supplementaryConfiguration") or {}).items()}
    policy = part(extra, "BucketPolicy")
    logging = part(extra, "BucketLoggingConfiguration")
    return {
        "PublicAccessBlockConfiguration": config_block(optional_part(extra, "PublicAccessBlockConfiguration")),
        "PolicyText": policy.get("policyText"),
        "Acl": config_acl(part(extra, "AccessControlList")),
        "ServerSideEncryptionConfiguration": encryption_rules(
            optional_part(extra, "ServerSideEncryptionConfiguration"), CONFIG_ENCRYPTION
        ),
        "Versioning": config_versioning(part(extra, "BucketVersioningConfiguration")),
        "LoggingEnabled": logging_target(
            {"TargetBucket": logging["destinationBucketName"], "TargetPrefix": logging.get("logFilePrefix")}
            if logging.get("destinationBucketName")
            else None
        ),
    }


def part(extra: dict[str, Any], key: str) -> dict[str, Any]:
    """One part of the supplementary configuration every bucket's item has."""
    value = extra.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"{key} is {type(value).__name__}")
    return value


def optional_part(extra: dict[str, Any], key: str) -> dict[str, Any] | None:
    """A part an item leaves out where the bucket has none (Block Public Access, default encryption)."""
    return None if extra.get(key) is None else part(extra, key)


def config_block(block: dict[str, Any] | None) -> dict[str, Any] | None:
    if block is None:
        return None
    return {k: block.get(k[0].lower() + k[1:]) for k in BLOCK_SETTINGS}


def config_grantee(grantee: Any) -> dict[str, Any]:
    if isinstance(grantee, str):
        return {"Type": "Group", "URI": GROUPS.get(grantee, grantee)}
    if not isinstance(grantee, dict):
        raise ValueError(f"a grantee is {type(grantee).__name__}")
    if grantee.get("typeIdentifier") == "emailAddress" or "@" in str(grantee.get("identifier") or ""):
        return {"Type": "AmazonCustomerByEmail", "EmailAddress": grantee.get("identifier")}
    return {"Type": "CanonicalUser", "ID": grantee.get("id") or grantee.get("identifier")}


def config_acl(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    owner = value.get("owner") or {}
    grants = [
        {
            "Grantee": config_grantee(g["grantee"]),
            "Permission": PERMISSIONS.get(str(g.get("permission")), g.get("permission")),
        }
        for g in value.get("grantList") or []
    ]
    return {"Owner": {"ID": owner.get("id")} if owner else None, "Grants": grants}


def config_versioning(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    out: dict[str, Any] = {}
    if value.get("status") in ("Enabled", "Suspended"):
        out["Status"] = value["status"]
    if value.get("isMfaDeleteEnabled") is not None:
        out["MFADelete"] = "Enabled" if value["isMfaDeleteEnabled"] else "Disabled"
    return out
