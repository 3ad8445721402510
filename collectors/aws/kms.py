"""KMS: the region's customer-managed keys with their rotation status and key policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.aws.common import Secondary, detail_map, paginate, parse_policy, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def key_record(kms: Any, key_id: str, region: str) -> ResourceRecord | None:
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    if meta.get("KeyManager") != "CUSTOMER":
        return None
    extra = Secondary()
    config: dict[str, Any] = {"KeyMetadata": meta}
    if meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and meta.get("Origin") != "EXTERNAL":
        rotation = extra.call("KeyRotationStatus", kms.get_key_rotation_status, KeyId=key_id) or {}
        config["KeyRotationEnabled"] = rotation.get("KeyRotationEnabled")
    policy = extra.call("KeyPolicy", kms.get_key_policy, KeyId=key_id, PolicyName="default") or {}
    config["Policy"] = parse_policy(policy.get("Policy"))
    return record("kms", "kms.key", meta["Arn"], meta["KeyId"], extra.attach(config), region=region)


@REGISTRY.collector(
    "aws", "kms", permissions=("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:GetKeyPolicy")
)
def collect_kms(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    kms = session.client("kms", region)
    keys = [k["KeyId"] for k in paginate(kms, "list_keys", "Keys")]
    for found in detail_map(lambda key_id: key_record(kms, key_id, region), keys):
        if found is not None:
            yield found
