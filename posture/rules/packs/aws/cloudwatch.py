"""CloudWatch rules: a metric filter -> alarm -> subscribed SNS topic chain for each kind of event.

Each rule runs on the account record (``aws.iam.account``) and walks the
account's multi-region, logging trails that deliver to CloudWatch Logs, the
metric filters on that log group whose pattern monitors the event kind (by
meaning: see :mod:`filter_patterns`), the alarms on the filter's metric, and
the SNS topics those alarms notify that have a confirmed subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.filter_patterns import matches_all
from posture.rules.packs.aws.support import where
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, failed, passed

ROUTINE_EVENT = {
    "eventVersion": "1.08",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "DescribeInstances",
    "eventType": "AwsApiCall",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "203.0.113.10",
    "userIdentity": {"type": "IAMUser", "userName": "alice", "invokedBy": "signin.amazonaws.com"},
    "readOnly": True,
}


def api_event(source: str, name: str, **extra: Any) -> dict[str, Any]:
    event = {
        "eventVersion": "1.08",
        "eventSource": source,
        "eventName": name,
        "eventType": "AwsApiCall",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userIdentity": {"type": "IAMUser", "userName": "alice"},
        "readOnly": False,
    }
    event.update(extra)
    return event


def events(source: str, *names: str) -> list[dict[str, Any]]:
    return [api_event(source, n) for n in names]


@dataclass(frozen=True)
class EventKind:
    slug: str
    title: str
    samples: list[dict[str, Any]]


def console_login(**extra: Any) -> dict[str, Any]:
    event = api_event("signin.amazonaws.com", "ConsoleLogin", eventType="AwsConsoleSignIn")
    event.update(extra)
    return event


KINDS = [
    EventKind(
        "unauthorized_api_calls",
        "unauthorized API calls",
        [
            api_event("ec2.amazonaws.com", "RunInstances", errorCode="Client.UnauthorizedOperation"),
            api_event("s3.amazonaws.com", "GetObject", errorCode="AccessDenied"),
        ],
    ),
    EventKind(
        "console_signin_without_mfa",
        "console sign-in without MFA",
        [console_login(additionalEventData={"MFAUsed": "No"}, responseElements={"ConsoleLogin": "Success"})],
    ),
    EventKind(
        "root_account_usage",
        "use of the root user",
        [api_event("iam.amazonaws.com", "CreateUser", userIdentity={"type": "Root", "arn": "arn:aws:iam::1:root"})],
    ),
    EventKind(
        "iam_policy_changes",
        "IAM policy changes",
        events(
            "iam.amazonaws.com",
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ),
    ),
    EventKind(
        "cloudtrail_changes",
        "CloudTrail configuration changes",
        events("cloudtrail.amazonaws.com", "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
    ),
    EventKind(
        "console_authentication_failures",
        "console authentication failures",
        [console_login(errorMessage="Failed authentication", responseElements={"ConsoleLogin": "Failure"})],
    ),
    EventKind(
        "cmk_disable_or_deletion",
        "disabling or scheduled deletion of customer managed keys",
        events("kms.amazonaws.com", "DisableKey", "ScheduleKeyDeletion"),
    ),
    EventKind(
        "s3_bucket_policy_changes",
        "S3 bucket policy changes",
        events(
            "s3.amazonaws.com",
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        ),
    ),
    EventKind(
        "config_changes",
        "AWS Config configuration changes",
        events(
            "config.amazonaws.com",
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
        ),
    ),
    EventKind(
        "security_group_changes",
        "security group changes",
        events(
            "ec2.amazonaws.com",
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ),
    ),
    EventKind(
        "nacl_changes",
        "network ACL changes",
        events(
            "ec2.amazonaws.com",
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ),
    ),
    EventKind(
        "network_gateway_changes",
        "network gateway changes",
        events(
            "ec2.amazonaws.com",
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ),
    ),
    EventKind(
        "route_table_changes",
        "route table changes",
        events(
            "ec2.amazonaws.com",
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        ),
    ),
    EventKind(
        "vpc_changes",
        "VPC changes",
        events(
            "ec2.amazonaws.com",
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        ),
    ),
    EventKind(
        "organizations_changes",
        "AWS Organizations changes",
        events(
            "organizations.amazonaws.com",
            "AcceptHandshake",
            "AttachPolicy",
            "CreateAccount",
            "CreateOrganizationalUnit",
            "CreatePolicy",
            "DeclineHandshake",
            "DeleteOrganization",
            "DeleteOrganizationalUnit",
            "DeletePolicy",
            "DetachPolicy",
            "DisablePolicyType",
            "EnablePolicyType",
            "InviteAccountToOrganization",
            "LeaveOrganization",
            "MoveAccount",
            "RemoveAccountFromOrganization",
            "UpdatePolicy",
            "UpdateOrganizationalUnit",
        ),
    ),
]


def log_group_of(trail: ResourceRecord) -> tuple[str, str] | None:
    """(region, log group name) from ``arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*``."""
    arn = str(trail.config.get("CloudWatchLogsLogGroupArn") or "")
    parts = arn.split(":")
    if len(parts) < 7 or parts[5] != "log-group":
        return None
    return parts[3], parts[6]


def delivering_trails(ctx: Any) -> list[ResourceRecord]:
    return [
        t
        for t in ctx.resources("aws.cloudtrail.trail")
        if t.config.get("IsMultiRegionTrail")
        and (t.config.get("Status") or {}).get("IsLogging")
        and log_group_of(t) is not None
    ]


def confirmed_topics(ctx: Any, arns: list[str]) -> list[ResourceRecord]:
    topics = {t.uid: t for t in ctx.resources("aws.sns.topic")}
    found = []
    for arn in arns:
        topic = topics.get(arn)
        if topic is None:
            continue
        subs = topic.config.get("Subscriptions") or []
        if any(str(s.get("SubscriptionArn", "")).startswith("arn:") for s in subs):
            found.append(topic)
    return found


def chain_verdict(kind: EventKind, ctx: Any) -> Verdict:
    trails = delivering_trails(ctx)
    if not trails:
        names = [t.name for t in ctx.resources("aws.cloudtrail.trail")]
        return failed(
            f"no multi-region, logging trail delivers to CloudWatch Logs, so {kind.title} cannot be alarmed on",
            Evidence("aws.cloudtrail.trail", names),
        )
    groups = {log_group_of(t): t for t in trails}
    filters = [
        f
        for f in ctx.resources("aws.logs.metric_filter")
        if (f.region, f.config.get("logGroupName")) in groups
        and matches_all(str(f.config.get("filterPattern", "")), kind.samples, [ROUTINE_EVENT])
    ]
    if not filters:
        trail = trails[0]
        return failed(
            f"no metric filter on the trail's log group monitors {kind.title}",
            Evidence(where(trail, "CloudWatchLogsLogGroupArn"), trail.config.get("CloudWatchLogsLogGroupArn")),
        )
    alarms = ctx.resources("aws.cloudwatch.alarm")
    last_problem: Verdict | None = None
    for mf in filters:
        metrics = {(m.get("metricName"), m.get("metricNamespace")) for m in mf.config.get("metricTransformations", [])}
        watching = [
            a
            for a in alarms
            if a.region == mf.region and (a.config.get("MetricName"), a.config.get("Namespace")) in metrics
        ]
        if not watching:
            last_problem = failed(
                f"metric filter {mf.name} monitors {kind.title} but no alarm watches its metric",
                Evidence(where(mf, "filterPattern"), mf.config.get("filterPattern")),
                Evidence(where(mf, "metricTransformations"), mf.config.get("metricTransformations")),
            )
            continue
        for alarm in watching:
            actions = [a for a in alarm.config.get("AlarmActions") or [] if str(a).startswith("arn:aws:sns:")]
            topics = confirmed_topics(ctx, actions)
            if topics:
                return passed(
                    f"{kind.title} are alarmed on: filter {mf.name} -> alarm {alarm.name} -> topic {topics[0].name}",
                    Evidence(where(mf, "filterPattern"), mf.config.get("filterPattern")),
                    Evidence(where(alarm, "AlarmActions"), alarm.config.get("AlarmActions")),
                    Evidence(where(topics[0], "Subscriptions"), topics[0].config.get("Subscriptions")),
                )
            last_problem = failed(
                f"alarm {alarm.name} on {kind.title} notifies no SNS topic with a confirmed subscription",
                Evidence(where(mf, "filterPattern"), mf.config.get("filterPattern")),
                Evidence(where(alarm, "AlarmActions"), alarm.config.get("AlarmActions")),
            )
    return last_problem or failed(f"no alarm chain for {kind.title}")


def _register(kind: EventKind) -> None:
    def check_chain(resource: ResourceRecord, ctx: Any) -> Verdict:
        return chain_verdict(kind, ctx)

    check_chain.__name__ = f"{kind.slug}_alarm"
    rule(
        id=f"aws.cloudwatch.{kind.slug}_alarm",
        title=f"A metric filter and alarm notify on {kind.title}",
        severity="medium",
        category="logging",
        resource_type="aws.iam.account",
        rationale=f"Alerting on {kind.title} shortens the time to notice misuse or a mistaken change.",
        remediation="Send a multi-region trail to CloudWatch Logs; add a metric filter matching these events "
        "on its log group, an alarm on the metric, and an SNS topic with a confirmed subscription as the "
        "alarm action.",
    )(check_chain)


for _kind in KINDS:
    _register(_kind)
