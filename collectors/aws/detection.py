"""Regional detection services: Security Hub, GuardDuty detectors, IAM Access Analyzer analyzers."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws.common import Secondary, paginate, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

HUB_NOT_ENABLED = ("InvalidAccessException", "ResourceNotFoundException")


@REGISTRY.collector("aws", "securityhub", permissions=("securityhub:DescribeHub", "securityhub:GetEnabledStandards"))
def collect_security_hub(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    client = session.client("securityhub", region)
    account = session.account_id()
    extra = Secondary()
    # "not subscribed" is the answer we look for, not a failure; anything else fails the unit
    try:
        hub = client.describe_hub()
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") not in HUB_NOT_ENABLED:
            raise
        hub = None
    config: dict = {"AccountId": account, "Region": region, "Enabled": hub is not None, "Hub": hub}
    if hub is not None:
        standards = extra.call("EnabledStandards", client.get_enabled_standards) or {}
        config["StandardsSubscriptions"] = standards.get("StandardsSubscriptions")
    uid = (hub or {}).get("HubArn") or f"arn:aws:securityhub:{region}:{account}:hub/default"
    yield record("securityhub", "securityhub.hub", uid, f"{account}/{region}", extra.attach(config), region=region)


@REGISTRY.collector("aws", "guardduty", permissions=("guardduty:ListDetectors", "guardduty:GetDetector"))
def collect_guardduty(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    client = session.client("guardduty", region)
    account = session.account_id()
    detectors = []
    for detector_id in paginate(client, "list_detectors", "DetectorIds"):
        detector = client.get_detector(DetectorId=detector_id)
        detectors.append({"DetectorId": detector_id, **detector})
    config = {"AccountId": account, "Region": region, "Detectors": detectors}
    uid = f"arn:aws:guardduty:{region}:{account}:detectors"
    yield record("guardduty", "guardduty.region_settings", uid, f"{account}/{region}", config, region=region)


@REGISTRY.collector("aws", "accessanalyzer", permissions=("access-analyzer:ListAnalyzers",))
def collect_access_analyzers(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    client = session.client("accessanalyzer", region)
    account = session.account_id()
    analyzers = list(paginate(client, "list_analyzers", "analyzers"))
    config = {"AccountId": account, "Region": region, "Analyzers": analyzers}
    uid = f"arn:aws:access-analyzer:{region}:{account}:analyzers"
    yield record("accessanalyzer", "accessanalyzer.region_settings", uid, f"{account}/{region}", config, region=region)
