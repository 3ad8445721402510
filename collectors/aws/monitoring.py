"""The CIS 5.x alerting chain per region: CloudWatch Logs metric filters, CloudWatch alarms, SNS topics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.aws.common import Secondary, detail_map, paginate, parse_policy, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


@REGISTRY.collector("aws", "logs", permissions=("logs:DescribeMetricFilters",))
def collect_metric_filters(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    logs = session.client("logs", region)
    account = session.account_id()
    for mf in paginate(logs, "describe_metric_filters", "metricFilters"):
        group, name = mf.get("logGroupName", ""), mf["filterName"]
        uid = f"arn:aws:logs:{region}:{account}:log-group:{group}:metric-filter:{name}"
        yield record("logs", "logs.metric_filter", uid, name, mf, region=region)


@REGISTRY.collector("aws", "cloudwatch", permissions=("cloudwatch:DescribeAlarms",))
def collect_alarms(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    cloudwatch = session.client("cloudwatch", region)
    for alarm in paginate(cloudwatch, "describe_alarms", "MetricAlarms"):
        yield record("cloudwatch", "cloudwatch.alarm", alarm["AlarmArn"], alarm["AlarmName"], alarm, region=region)


def topic_record(sns: Any, arn: str, region: str) -> ResourceRecord:
    extra = Secondary()
    attributes = extra.call("Attributes", sns.get_topic_attributes, TopicArn=arn) or {}
    attrs = dict(attributes.get("Attributes", {}))
    if "Policy" in attrs:
        attrs["Policy"] = parse_policy(attrs["Policy"])
    attrs.pop("EffectiveDeliveryPolicy", None)
    subs = extra.call(
        "Subscriptions",
        lambda: list(paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)),
        default=None,
    )
    config = {"TopicArn": arn, "Attributes": attrs, "Subscriptions": subs}
    return record("sns", "sns.topic", arn, arn.rsplit(":", 1)[-1], extra.attach(config), region=region)


@REGISTRY.collector(
    "aws", "sns", permissions=("sns:ListTopics", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic")
)
def collect_topics(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    sns = session.client("sns", region)
    arns = [t["TopicArn"] for t in paginate(sns, "list_topics", "Topics")]
    yield from detail_map(lambda arn: topic_record(sns, arn, region), arns)
