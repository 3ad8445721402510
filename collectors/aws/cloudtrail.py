"""CloudTrail: the trails whose home is this region, with their logging status and event selectors."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws.common import Secondary, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


@REGISTRY.collector(
    "aws",
    "cloudtrail",
    permissions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"),
)
def collect_cloudtrail(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    trail_client = session.client("cloudtrail", region)
    # a multi-region trail shows up in every region (as a "shadow" outside its home): report it once, from its
    # home region. Shadows are listed so that an organization trail owned by the management account is seen too.
    for trail in trail_client.describe_trails(includeShadowTrails=True).get("trailList", []):
        if trail.get("HomeRegion", region) != region:
            continue
        extra = Secondary()
        arn = trail["TrailARN"]
        config = dict(trail)
        status = extra.call("Status", trail_client.get_trail_status, Name=arn) or {}
        config["Status"] = {k: v for k, v in status.items() if k != "ResponseMetadata"} or None
        selectors = extra.call("EventSelectors", trail_client.get_event_selectors, TrailName=arn) or {}
        config["EventSelectors"] = selectors.get("EventSelectors") or []
        config["AdvancedEventSelectors"] = selectors.get("AdvancedEventSelectors") or []
        yield record("cloudtrail", "cloudtrail.trail", arn, trail["Name"], extra.attach(config), region=region)
