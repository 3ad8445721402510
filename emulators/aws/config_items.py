"""AWS Config's S3 bucket items on moto, as AWS Config records them.

moto answers ListDiscoveredResources and BatchGetResourceConfig for ``AWS::S3::Bucket`` from its S3 backend,
but its configuration item leaves out two parts a real one carries and mis-writes one:

- ``BucketVersioningConfiguration`` (``{"status": "Off" | "Enabled" | "Suspended", "isMfaDeleteEnabled":
  null | true | false}``) and ``ServerSideEncryptionConfiguration`` (``{"rules": [{"applyServerSideEncryption
  ByDefault": {"sseAlgorithm", "kmsMasterKeyID"}, "bucketKeyEnabled"}]}``) are missing: both are added, in the
  property names of AWS Config's resource schema for ``AWS::S3::Bucket`` (awslabs/aws-config-resource-schema);
- the ``AccessControlList`` of a bucket granting to a global group (AllUsers, AuthenticatedUsers) fails:
  moto splits every group URI on ``/groups/s3/``. AWS Config writes a group grantee as its bare name
  (``{"grantee": "AllUsers", "permission": "Read"}``) and a canonical user as ``{"id", "displayName"}``,
  with ``isRequesterCharged`` beside ``grantList`` and ``owner`` (as Security Hub's AwsS3Bucket details and
  Config's own change notifications show it).

:func:`install` mends these on moto's own classes (moto in this process: the demo's threaded server, the tests'
``mock_aws``, and the benchmarks' server started by :mod:`emulators.aws.moto_main`).
"""

from __future__ import annotations

from typing import Any

PERMISSIONS = {
    "FULL_CONTROL": "FullControl",
    "READ": "Read",
    "WRITE": "Write",
    "READ_ACP": "ReadAcp",
    "WRITE_ACP": "WriteAcp",
}


def install() -> None:
    """Mend moto's S3 configuration items (idempotent)."""
    from moto.s3.models import FakeAcl, FakeBucket

    if getattr(FakeBucket.to_config_dict, "_posture", False):
        return
    original = FakeBucket.to_config_dict

    def to_config_dict(self: Any) -> dict[str, Any]:
        item = original(self)
        extra = item["supplementaryConfiguration"]
        extra["BucketVersioningConfiguration"] = {"status": self.versioning_status or "Off", "isMfaDeleteEnabled": None}
        if self.encryption:
            extra["ServerSideEncryptionConfiguration"] = encryption_item(self.encryption)
        return item

    to_config_dict._posture = True  # type: ignore[attr-defined]
    FakeBucket.to_config_dict = to_config_dict  # type: ignore[method-assign]
    FakeAcl.to_config_dict = acl_item  # type: ignore[method-assign]


def encryption_item(encryption: dict[str, Any]) -> dict[str, Any]:
    """moto's stored PutBucketEncryption rule as AWS Config's ServerSideEncryptionConfiguration."""
    rule = encryption.get("Rule") or {}
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    return {
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": default.get("SSEAlgorithm"),
                    "kmsMasterKeyID": default.get("KMSMasterKeyID"),
                },
                "bucketKeyEnabled": str(rule.get("BucketKeyEnabled", "false")).lower() == "true",
            }
        ]
    }


def acl_item(self: Any) -> dict[str, Any]:
    """A bucket's ACL as AWS Config's AccessControlList: groups by name, users by id."""
    from moto.s3.models import OWNER

    grants = []
    for grant in self.grants:
        permissions = grant.permissions if isinstance(grant.permissions, list) else [grant.permissions]
        for permission in permissions:
            for grantee in grant.grantees:
                who: Any = (
                    grantee.uri.rstrip("/").rsplit("/", 1)[-1]
                    if grantee.uri
                    else {"id": grantee.id, "displayName": grantee.display_name or None}
                )
                grants.append({"grantee": who, "permission": PERMISSIONS.get(permission, permission)})
    return {
        "grantSet": None,
        "grantList": grants,
        "owner": {"displayName": None, "id": OWNER},
        "isRequesterCharged": False,
    }
