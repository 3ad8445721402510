"""AWS Config recording in the demo's staging account: a recorder for every supported type, started.

With it, the staging account's scan reads its S3 buckets from Config's items (bulk inventory,
:mod:`collectors.aws.config_inventory`) while the production account, which records nothing, reads each bucket
through S3: the same estate either way, so both accounts' buckets read alike. The staging account's
"AWS Config records all resource types" control passes; production's fails.
"""

from __future__ import annotations

from typing import Any

RECORDER = "default"
EVERY_TYPE = {"allSupported": True, "includeGlobalResourceTypes": True}


def build_config_recording(client: Any, bucket: str, group: dict[str, Any] | None = None, start: bool = True) -> None:
    """A recorder of ``group`` (default: every supported type, global ones too) delivering to ``bucket``, started
    unless ``start`` is false. ``client(service)`` makes the account's clients in the recorder's region."""
    config = client("config")
    account = client("sts").get_caller_identity()["Account"]
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": RECORDER,
            "roleARN": f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            "recordingGroup": group or EVERY_TYPE,
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": RECORDER, "s3BucketName": bucket})
    if start:
        config.start_configuration_recorder(ConfigurationRecorderName=RECORDER)
