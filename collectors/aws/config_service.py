"""AWS Config: the region's configuration recorders and whether they are recording."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws import config_inventory
from collectors.aws.common import Secondary, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


@REGISTRY.collector(
    "aws", "config", permissions=("config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus")
)
def collect_config(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    account = session.account_id()
    # read once per scan: the S3 collector asks the same of Config before reading buckets from it
    recorders = config_inventory.recorders(session, region)
    extra = Secondary()
    statuses = extra.call("RecorderStatus", config_inventory.recorder_statuses, session, region) or []
    by_name = {s.get("name"): s for s in statuses}
    config = {
        "AccountId": account,
        "Region": region,
        "ConfigurationRecorders": [{**r, "Status": by_name.get(r.get("name"))} for r in recorders],
    }
    uid = f"arn:aws:config:{region}:{account}:recorders"
    yield record("config", "config.region_settings", uid, f"{account}/{region}", extra.attach(config), region=region)
