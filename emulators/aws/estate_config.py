"""AWS Config recording in the demo's staging account: a recorder for every supported type, started.

With it, the staging account's scan reads its S3 buckets from Config's items (bulk inventory,
:mod:`collectors.aws.config_inventory`) while the production account, which records nothing, reads each bucket
through S3: the same estate either way, so both accounts' buckets read alike. The staging account's
"AWS Config records all resource types" control passes; production's fails.
"""

from __future__ import annotations

from typing import Any

RECORDER = "default"


def build_config_recording(client: Any, bucket: str) -> None:
    """Record every supported type (global ones too) and deliver to ``bucket``."""
    config = client("config")
    account = client("sts").get_caller_identity()["Account"]
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": RECORDER,
            "roleARN": f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": RECORDER, "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName=RECORDER)
