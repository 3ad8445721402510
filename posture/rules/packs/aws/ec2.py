"""EC2 rules: security groups, network ACLs, instance metadata, instance roles, VPC flow logs and EBS
default encryption."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.support import ADMIN_PORTS, WORLD_V4, WORLD_V6, open_ports, ports_cover
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Evidence, Verdict, check, observed

CIFS_PORT = 445


def open_ports_verdict(resource: ResourceRecord, ports: tuple[int, ...], worlds: tuple[str, ...], what: str) -> Verdict:
    found = [p for world in worlds for p in open_ports(resource.config, ports, world)]
    return check(
        not found,
        f"no ingress from {' or '.join(worlds)} to {what}",
        f"ingress from {' or '.join(worlds)} reaches {what}",
        Evidence("IpPermissions", found or resource.config.get("IpPermissions")),
    )


@rule(
    id="aws.ec2.security_group_no_public_cifs",
    title="Security groups do not allow CIFS (445) from the internet",
    severity="high",
    category="exposure",
    resource_type="aws.ec2.security_group",
    rationale="SMB/CIFS exposed to the internet is a common ransomware entry point.",
    remediation="Remove ingress rules for TCP 445 from 0.0.0.0/0 and ::/0; allow only trusted networks.",
)
def sg_no_public_cifs(resource: ResourceRecord, ctx: Any) -> Verdict:
    return open_ports_verdict(resource, (CIFS_PORT,), (WORLD_V4, WORLD_V6), "port 445")


@rule(
    id="aws.ec2.security_group_no_public_admin_ports_ipv4",
    title="Security groups do not allow ingress from 0.0.0.0/0 to SSH or RDP",
    severity="high",
    category="exposure",
    resource_type="aws.ec2.security_group",
    rationale="Remote administration ports open to the internet invite brute force and exploits.",
    remediation="Remove ingress rules for 22 and 3389 from 0.0.0.0/0; use Session Manager or a narrow CIDR.",
)
def sg_no_public_admin_v4(resource: ResourceRecord, ctx: Any) -> Verdict:
    return open_ports_verdict(resource, ADMIN_PORTS, (WORLD_V4,), "ports 22/3389")


@rule(
    id="aws.ec2.security_group_no_public_admin_ports_ipv6",
    title="Security groups do not allow ingress from ::/0 to SSH or RDP",
    severity="high",
    category="exposure",
    resource_type="aws.ec2.security_group",
    rationale="Remote administration ports open to the IPv6 internet invite brute force and exploits.",
    remediation="Remove ingress rules for 22 and 3389 from ::/0.",
)
def sg_no_public_admin_v6(resource: ResourceRecord, ctx: Any) -> Verdict:
    return open_ports_verdict(resource, ADMIN_PORTS, (WORLD_V6,), "ports 22/3389")


@rule(
    id="aws.ec2.default_security_group_restricts_all",
    title="The default security group of every VPC restricts all traffic",
    severity="medium",
    category="network",
    resource_type="aws.ec2.security_group",
    rationale="Resources launched without a group land in the default one; if it allows nothing, a mistake "
    "does not open traffic.",
    remediation="Remove every inbound and outbound rule from each VPC's default security group.",
)
def default_sg_restricts_all(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if resource.config.get("GroupName") != "default":
        return None
    inbound = resource.config.get("IpPermissions") or []
    outbound = resource.config.get("IpPermissionsEgress") or []
    return check(
        not inbound and not outbound,
        "the default security group has no rules",
        f"the default security group has {len(inbound)} inbound and {len(outbound)} outbound rule(s)",
        observed(resource.config, "IpPermissions"),
        observed(resource.config, "IpPermissionsEgress"),
    )


def nacl_entry_covers(entry: dict[str, Any], port: int) -> bool:
    protocol = str(entry.get("Protocol", ""))
    if protocol == "-1":
        return True
    if protocol not in ("6", "17"):
        return False
    span = entry.get("PortRange") or {}
    return ports_cover(span.get("From"), span.get("To"), port)


def nacl_open_ports(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Admin ports the first matching world-sourced ingress entry (lowest rule number) allows."""
    found = []
    entries = sorted(
        (e for e in config.get("Entries") or [] if not e.get("Egress")), key=lambda e: int(e.get("RuleNumber", 0))
    )
    for port in ADMIN_PORTS:
        for family, key in ((WORLD_V4, "CidrBlock"), (WORLD_V6, "Ipv6CidrBlock")):
            first = next((e for e in entries if e.get(key) == family and nacl_entry_covers(e, port)), None)
            if first is not None and first.get("RuleAction") == "allow":
                found.append({"Port": port, "RuleNumber": first.get("RuleNumber"), key: family})
    return found


@rule(
    id="aws.ec2.network_acl_no_public_admin_ports",
    title="Network ACLs do not allow ingress from the internet to SSH or RDP",
    severity="medium",
    category="exposure",
    resource_type="aws.ec2.network_acl",
    rationale="A NACL that lets 0.0.0.0/0 or ::/0 reach ports 22/3389 leaves only security groups in the way.",
    remediation="Add deny entries (below the allow entries' numbers) for 22 and 3389 from 0.0.0.0/0 and ::/0, "
    "or narrow the allow entries.",
)
def nacl_no_public_admin(resource: ResourceRecord, ctx: Any) -> Verdict:
    found = nacl_open_ports(resource.config)
    return check(
        not found,
        "no entry lets the internet reach ports 22/3389",
        f"entries let the internet reach {', '.join(str(f['Port']) for f in found)}",
        Evidence("Entries", found or [e for e in resource.config.get("Entries") or [] if not e.get("Egress")]),
    )


def running(resource: ResourceRecord) -> bool:
    return (resource.config.get("State") or {}).get("Name") not in ("terminated", "shutting-down")


@rule(
    id="aws.ec2.instance_imdsv2_required",
    title="EC2 instance metadata service only allows IMDSv2",
    severity="medium",
    category="workload",
    resource_type="aws.ec2.instance",
    rationale="IMDSv1 answers plain GETs, so an SSRF bug can read the instance role's credentials; IMDSv2 "
    "needs a session token.",
    remediation="aws ec2 modify-instance-metadata-options --instance-id ID --http-tokens required",
)
def imdsv2_required(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not running(resource):
        return None
    options = resource.config.get("MetadataOptions") or {}
    return check(
        options.get("HttpTokens") == "required" or options.get("HttpEndpoint") == "disabled",
        "the instance requires IMDSv2 tokens (or has the metadata endpoint off)",
        "the instance accepts IMDSv1 requests",
        observed(resource.config, "MetadataOptions.HttpTokens"),
        observed(resource.config, "MetadataOptions.HttpEndpoint"),
    )


@rule(
    id="aws.ec2.instance_uses_instance_profile",
    title="EC2 instances use an IAM instance role for AWS access",
    severity="low",
    category="identity",
    resource_type="aws.ec2.instance",
    rationale="Instance roles deliver short-lived credentials; the alternative is long-lived keys on disk.",
    remediation="Attach an instance profile: aws ec2 associate-iam-instance-profile --instance-id ID "
    "--iam-instance-profile Name=PROFILE",
)
def instance_profile(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not running(resource):
        return None
    return check(
        bool((resource.config.get("IamInstanceProfile") or {}).get("Arn")),
        "the instance has an instance profile",
        "the instance has no instance profile",
        observed(resource.config, "IamInstanceProfile.Arn"),
    )


@rule(
    id="aws.ec2.vpc_flow_logs_enabled",
    title="VPC flow logging is enabled",
    severity="medium",
    category="logging",
    resource_type="aws.ec2.vpc",
    rationale="Flow logs record the traffic in and out of the VPC, needed to detect and investigate "
    "anomalous connections.",
    remediation="aws ec2 create-flow-logs --resource-type VPC --resource-ids VPC --traffic-type REJECT "
    "--log-destination-type cloud-watch-logs --log-group-name NAME --deliver-logs-permission-arn ROLE",
)
def vpc_flow_logs(resource: ResourceRecord, ctx: Any) -> Verdict:
    logs = resource.config.get("FlowLogs") or []
    active = [f for f in logs if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"]
    return check(
        bool(active),
        f"{len(active)} active flow log(s)",
        "the VPC has no active flow log",
        Evidence(
            "FlowLogs", [{"FlowLogId": f.get("FlowLogId"), "FlowLogStatus": f.get("FlowLogStatus")} for f in logs]
        ),
    )


field_rule(
    id="aws.ec2.ebs_default_encryption_enabled",
    title="EBS encryption by default is enabled in the region",
    severity="medium",
    category="encryption",
    resource_type="aws.ec2.region_settings",
    path="EbsEncryptionByDefault",
    expect=True,
    ok="EBS encryption by default is on",
    bad="EBS encryption by default is off",
    rationale="Default encryption makes every new volume and snapshot encrypted without relying on each launch.",
    remediation="aws ec2 enable-ebs-encryption-by-default --region REGION",
)
