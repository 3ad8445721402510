"""The web front-end collectors (ELBv2, CloudFront, API Gateway) against moto, and their access-log rules."""

from __future__ import annotations

import collectors.aws  # noqa: F401  (registers the collectors)
from collectors.aws import PROVIDER
from collectors.records import Target
from collectors.run import collect, plan
from emulators.aws.estate import REGION, build_estate
from posture.rules.evaluate import evaluate
from tests.collectors.aws.conftest import local_client

SERVICES = ("elbv2", "cloudfront", "apigateway")


def test_front_ends_and_their_access_logs(mocked: None) -> None:
    uids = build_estate(local_client)
    target = Target(provider="aws", name="t", regions=(REGION,))
    session = PROVIDER.connect(target)
    result = collect(PROVIDER, session, [u for u in plan(PROVIDER, session, target) if u.service in SERVICES])
    assert result.errors == []
    records = {r.uid: r for r in result.records}
    verdicts = {(r.rule_id, r.resource_uid): r for r in evaluate(result.records)}

    alb = records[uids["alb"]].config
    assert alb["Type"] == "application"
    assert any(a["Key"] == "access_logs.s3.bucket" for a in alb["Attributes"])
    assert str(verdicts[("aws.elbv2.access_logging_enabled", uids["alb"])].status) == "FAIL"

    rest = records[uids["rest_stage"]]
    assert rest.type == "aws.apigateway.stage"
    assert rest.config["accessLogSettings"]["destinationArn"].endswith(":log-group:api-access")
    assert str(verdicts[("aws.apigateway.stage_access_logging_enabled", rest.uid)].status) == "PASS"
    assert records[uids["http_stage"]].type == "aws.apigateway.v2_stage"
    assert str(verdicts[("aws.apigateway.v2_stage_access_logging_enabled", uids["http_stage"])].status) == "FAIL"

    distribution = records[uids["distribution"]].config
    assert distribution["DistributionConfig"]["Logging"]["Enabled"] is False
    assert distribution["LogDeliveries"] == []
    assert str(verdicts[("aws.cloudfront.access_logging_enabled", uids["distribution"])].status) == "FAIL"


def test_a_cloudwatch_logs_delivery_counts_as_access_logging(mocked: None) -> None:
    uids = build_estate(local_client)
    logs = local_client("logs")
    logs.put_delivery_source(name="cf-access", resourceArn=uids["distribution"], logType="ACCESS_LOGS")
    logs.create_log_group(logGroupName="cf-access")
    destination = logs.put_delivery_destination(
        name="cf-logs",
        deliveryDestinationConfiguration={
            "destinationResourceArn": f"arn:aws:logs:{REGION}:123456789012:log-group:cf-access"
        },
    )["deliveryDestination"]["arn"]
    logs.create_delivery(deliverySourceName="cf-access", deliveryDestinationArn=destination)
    target = Target(provider="aws", name="t", regions=(REGION,))
    session = PROVIDER.connect(target)
    result = collect(PROVIDER, session, [u for u in plan(PROVIDER, session, target) if u.service == "cloudfront"])
    [distribution] = result.records
    assert distribution.config["LogDeliveries"] == ["cf-access"]
    [verdict] = [v for v in evaluate(result.records) if v.rule_id == "aws.cloudfront.access_logging_enabled"]
    assert str(verdict.status) == "PASS"
