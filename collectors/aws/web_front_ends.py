"""Web front ends and their access logs: ELBv2 load balancers with their attributes, CloudFront distributions
with their configuration and CloudWatch log deliveries, API Gateway REST and HTTP/WebSocket API stages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.aws.common import Secondary, detail_map, paginate, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

CLOUDFRONT_REGION = "us-east-1"  # CloudFront and its log deliveries live in us-east-1


@REGISTRY.collector(
    "aws",
    "elbv2",
    permissions=(
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
    ),
)
def collect_load_balancers(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    elbv2 = session.client("elbv2", region)

    def one(lb: dict[str, Any]) -> ResourceRecord:
        extra = Secondary()
        answer = extra.call(
            "Attributes", elbv2.describe_load_balancer_attributes, LoadBalancerArn=lb["LoadBalancerArn"]
        )
        config = {**lb, "Attributes": None if answer is None else answer.get("Attributes", [])}
        arn = lb["LoadBalancerArn"]
        return record("elbv2", "elbv2.load_balancer", arn, lb["LoadBalancerName"], extra.attach(config), region=region)

    yield from detail_map(one, list(paginate(elbv2, "describe_load_balancers", "LoadBalancers")))


def access_log_sources(session: AwsSession, extra: Secondary) -> list[dict[str, Any]] | None:
    """CloudWatch Logs delivery sources of CloudFront access logs that have a delivery (standard logging v2)."""
    logs = session.client("logs", CLOUDFRONT_REGION)

    def read() -> list[dict[str, Any]]:
        delivering = {d.get("deliverySourceName") for d in paginate(logs, "describe_deliveries", "deliveries")}
        sources = paginate(logs, "describe_delivery_sources", "deliverySources")
        return [s for s in sources if s.get("logType") == "ACCESS_LOGS" and s.get("name") in delivering]

    return extra.call("LogDeliveries", read)


def distribution_record(
    cloudfront: Any, item: dict[str, Any], sources: list[dict[str, Any]] | None, shared: Secondary
) -> ResourceRecord:
    extra = Secondary()
    extra.errors.update(shared.errors)
    answer = extra.call("DistributionConfig", cloudfront.get_distribution_config, Id=item["Id"])
    deliveries = (
        None if sources is None else [s.get("name") for s in sources if item["ARN"] in s.get("resourceArns", [])]
    )
    config = {**item, "DistributionConfig": (answer or {}).get("DistributionConfig"), "LogDeliveries": deliveries}
    return record("cloudfront", "cloudfront.distribution", item["ARN"], item["Id"], extra.attach(config))


@REGISTRY.collector(
    "aws",
    "cloudfront",
    regional=False,
    permissions=(
        "cloudfront:ListDistributions",
        "cloudfront:GetDistributionConfig",
        "logs:DescribeDeliveries",
        "logs:DescribeDeliverySources",
    ),
)
def collect_distributions(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    cloudfront = session.client("cloudfront", CLOUDFRONT_REGION)
    items = [
        item
        for page in cloudfront.get_paginator("list_distributions").paginate()
        for item in (page.get("DistributionList") or {}).get("Items") or []
    ]
    if not items:
        return
    shared = Secondary()
    sources = access_log_sources(session, shared)
    yield from detail_map(lambda item: distribution_record(cloudfront, item, sources, shared), items)


def stage_arn(region: str, kind: str, api_id: str, stage: str) -> str:
    return f"arn:aws:apigateway:{region}::/{kind}/{api_id}/stages/{stage}"


@REGISTRY.collector(
    "aws",
    "apigateway",
    permissions=("apigateway:GET",),
)
def collect_api_stages(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    rest = session.client("apigateway", region)
    for api in paginate(rest, "get_rest_apis", "items"):
        for stage in rest.get_stages(restApiId=api["id"]).get("item") or []:
            config = {**stage, "ApiId": api["id"], "ApiName": api.get("name"), "ProtocolType": "REST"}
            uid = stage_arn(region, "restapis", api["id"], stage["stageName"])
            yield record(
                "apigateway", "apigateway.stage", uid, f"{api.get('name')}/{stage['stageName']}", config, region
            )
    v2 = session.client("apigatewayv2", region)
    for api in paginate(v2, "get_apis", "Items"):
        for stage in paginate(v2, "get_stages", "Items", ApiId=api["ApiId"]):
            config = {
                **stage,
                "ApiId": api["ApiId"],
                "ApiName": api.get("Name"),
                "ProtocolType": api.get("ProtocolType"),
            }
            uid = stage_arn(region, "apis", api["ApiId"], stage["StageName"])
            yield record(
                "apigateway", "apigateway.v2_stage", uid, f"{api.get('Name')}/{stage['StageName']}", config, region
            )
