"""EC2 networking and instances per region: VPCs with their flow logs, security groups, network ACLs,
instances (metadata options, instance profile), and the region's EBS encryption and IMDS defaults."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from collectors.aws.common import Secondary, paginate, record, tags_of
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def region_settings(session: AwsSession, ec2: Any, region: str) -> ResourceRecord:
    account = session.account_id()
    extra = Secondary()
    config: dict[str, Any] = {"AccountId": account, "Region": region}
    # the region's own setting is the main evidence for CIS 6.1.1: let a failure fail the unit
    config["EbsEncryptionByDefault"] = ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]
    kms = extra.call("EbsDefaultKmsKeyId", ec2.get_ebs_default_kms_key_id)
    config["EbsDefaultKmsKeyId"] = (kms or {}).get("KmsKeyId")
    defaults = extra.call("InstanceMetadataDefaults", ec2.get_instance_metadata_defaults)
    config["InstanceMetadataDefaults"] = None if defaults is None else defaults.get("AccountLevel", {})
    uid = f"arn:aws:ec2:{region}:{account}:account-settings"
    return record("ec2", "ec2.region_settings", uid, f"{account}/{region}", extra.attach(config), region=region)


def arn(region: str, account: str, kind: str, ident: str) -> str:
    return f"arn:aws:ec2:{region}:{account}:{kind}/{ident}"


def name_of(item: dict[str, Any], default: str) -> str:
    return tags_of(item.get("Tags")).get("Name") or default


@REGISTRY.collector(
    "aws",
    "ec2",
    permissions=(
        "ec2:GetEbsEncryptionByDefault",
        "ec2:GetEbsDefaultKmsKeyId",
        "ec2:GetInstanceMetadataDefaults",
        "ec2:DescribeFlowLogs",
        "ec2:DescribeVpcs",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeInstances",
    ),
)
def collect_ec2(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    ec2 = session.client("ec2", region)
    account = session.account_id()
    yield region_settings(session, ec2, region)

    flow_logs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for log in paginate(ec2, "describe_flow_logs", "FlowLogs"):
        flow_logs[log.get("ResourceId", "")].append(log)
    for vpc in paginate(ec2, "describe_vpcs", "Vpcs"):
        config = {**vpc, "FlowLogs": flow_logs.get(vpc["VpcId"], [])}
        yield record(
            "ec2",
            "ec2.vpc",
            arn(region, vpc.get("OwnerId") or account, "vpc", vpc["VpcId"]),
            name_of(vpc, vpc["VpcId"]),
            config,
            region=region,
            tags=tags_of(vpc.get("Tags")),
        )
    for group in paginate(ec2, "describe_security_groups", "SecurityGroups"):
        uid = group.get("SecurityGroupArn") or arn(
            region, group.get("OwnerId") or account, "security-group", group["GroupId"]
        )
        yield record(
            "ec2",
            "ec2.security_group",
            uid,
            group.get("GroupName") or group["GroupId"],
            group,
            region=region,
            tags=tags_of(group.get("Tags")),
        )
    for acl in paginate(ec2, "describe_network_acls", "NetworkAcls"):
        uid = arn(region, acl.get("OwnerId") or account, "network-acl", acl["NetworkAclId"])
        yield record(
            "ec2",
            "ec2.network_acl",
            uid,
            name_of(acl, acl["NetworkAclId"]),
            acl,
            region=region,
            tags=tags_of(acl.get("Tags")),
        )
    for reservation in paginate(ec2, "describe_instances", "Reservations"):
        for instance in reservation.get("Instances", []):
            uid = arn(region, reservation.get("OwnerId") or account, "instance", instance["InstanceId"])
            yield record(
                "ec2",
                "ec2.instance",
                uid,
                name_of(instance, instance["InstanceId"]),
                instance,
                region=region,
                tags=tags_of(instance.get("Tags")),
            )
