"""EKS rules: control plane logs, access entries, secrets encryption, endpoint access, versions in standard support,
node groups behind the control plane, worker nodes with admin ports open to the internet, node groups' kubelet
settings (launch template overrides, AMI family), the node role's access to ECR."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.iam import lookup_document
from posture.rules.packs.aws.support import (
    ADMIN_PORTS,
    WORLD_V4,
    WORLD_V6,
    as_list,
    now,
    open_ports,
    statements,
    where,
)
from posture.rules.packs.kubernetes.nodes import SETTINGS as KUBELET_SETTINGS
from posture.rules.packs.kubernetes.nodes import KubeletSetting
from posture.rules.registry import FieldCheck, field_rule, rule
from posture.rules.verdicts import Evidence, Verdict, check, lookup, manual, observed, passed, unreadable

CONTROL_PLANE_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")


# Amazon EKS release calendar: the end of standard support per minor version
# (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html). DescribeClusterVersions, when the
# endpoint answers it, takes precedence.
END_OF_STANDARD_SUPPORT = {
    "1.23": "2023-10-11",
    "1.24": "2024-01-31",
    "1.25": "2024-05-01",
    "1.26": "2024-06-11",
    "1.27": "2024-07-24",
    "1.28": "2024-11-26",
    "1.29": "2025-03-23",
    "1.30": "2025-07-23",
    "1.31": "2025-11-26",
    "1.32": "2026-03-23",
    "1.33": "2026-07-29",
    "1.34": "2026-12-02",
    "1.35": "2027-03-27",
}


def minor(version: Any) -> tuple[int, int] | None:
    try:
        major, minor_, *_ = str(version).split(".")
        return int(major), int(minor_)
    except ValueError:
        return None


@rule(
    id="aws.eks.control_plane_logging_enabled",
    title="EKS control plane audit logging is enabled for every log type",
    severity="medium",
    category="logging",
    resource_type="aws.eks.cluster",
    rationale="The API server, audit and authenticator logs are the record of who did what in the cluster.",
    remediation="aws eks update-cluster-config --name NAME --logging "
    '\'{"clusterLogging":[{"types":["api","audit","authenticator","controllerManager","scheduler"],'
    '"enabled":true}]}\'',
)
def eks_logging(resource: ResourceRecord, ctx: Any) -> Verdict:
    enabled: set[str] = set()
    for entry in (resource.config.get("logging") or {}).get("clusterLogging") or []:
        if entry.get("enabled"):
            enabled |= set(entry.get("types") or [])
    missing = [t for t in CONTROL_PLANE_LOGS if t not in enabled]
    return check(
        not missing,
        "every control plane log type is enabled",
        f"control plane log types not enabled: {', '.join(missing)}",
        Evidence("logging.clusterLogging", (resource.config.get("logging") or {}).get("clusterLogging")),
    )


ACCESS_ENTRY_MODES = {"API": "access entries only", "API_AND_CONFIG_MAP": "access entries, and the aws-auth ConfigMap"}


@rule(
    id="aws.eks.access_entries_enabled",
    title="EKS cluster access is managed with access entries",
    severity="medium",
    category="identity",
    resource_type="aws.eks.cluster",
    rationale="With the aws-auth ConfigMap alone, who may sign in to the cluster (and as which Kubernetes "
    "groups, system:masters included) is a ConfigMap that anyone allowed to edit kube-system ConfigMaps "
    "can rewrite, and that no AWS API, CloudTrail event or IAM policy shows. Access entries are AWS "
    "resources: listed, audited, and changed through IAM-authorized calls.",
    remediation="aws eks update-cluster-config --name NAME --access-config authenticationMode=API_AND_CONFIG_MAP, "
    "create access entries for the principals in aws-auth, then switch to authenticationMode=API.",
    references=("https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html",),
)
def access_entries_enabled(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    mode = observed(resource.config, "accessConfig.authenticationMode")
    bootstrap = observed(resource.config, "accessConfig.bootstrapClusterCreatorAdminPermissions")
    if mode.value is None:
        return None  # an endpoint that does not report the access configuration (the API always does)
    return check(
        mode.value in ACCESS_ENTRY_MODES,
        f"authentication mode {mode.value}: {ACCESS_ENTRY_MODES.get(str(mode.value))}",
        f"authentication mode {mode.value}: only the aws-auth ConfigMap grants access to the cluster",
        mode,
        bootstrap,
    )


def encrypts_secrets_with_kms(configs: Any) -> bool:
    """An EKS encryptionConfig entry covers "secrets" with a KMS key."""
    return any(
        "secrets" in (c.get("resources") or []) and bool((c.get("provider") or {}).get("keyArn")) for c in configs or []
    )


field_rule(
    id="aws.eks.secrets_encrypted_with_kms",
    title="EKS Kubernetes secrets are envelope-encrypted with a KMS key",
    severity="high",
    category="encryption",
    resource_type="aws.eks.cluster",
    path="encryptionConfig",
    expect=encrypts_secrets_with_kms,
    ok="secrets are encrypted with a KMS key",
    bad="secrets are not envelope-encrypted with a KMS key",
    rationale="Envelope encryption with a customer KMS key protects secrets in etcd and lets access to them be "
    "audited and revoked.",
    remediation="aws eks associate-encryption-config --cluster-name NAME --encryption-config "
    '\'[{"resources":["secrets"],"provider":{"keyArn":"KEY-ARN"}}]\'',
)


@rule(
    id="aws.eks.endpoint_public_access_restricted",
    title="The EKS API endpoint is private or limited to known CIDRs",
    severity="high",
    category="exposure",
    resource_type="aws.eks.cluster",
    rationale="A public endpoint open to 0.0.0.0/0 lets anyone on the internet reach the API server.",
    remediation="aws eks update-cluster-config --name NAME --resources-vpc-config "
    'endpointPublicAccess=true,publicAccessCidrs="203.0.113.0/24" (or endpointPublicAccess=false)',
)
def eks_endpoint_restricted(resource: ResourceRecord, ctx: Any) -> Verdict:
    vpc = resource.config.get("resourcesVpcConfig") or {}
    public = vpc.get("endpointPublicAccess", True) is not False
    cidrs = vpc.get("publicAccessCidrs") or (["0.0.0.0/0"] if public else [])
    open_to_world = public and any(c in (WORLD_V4, WORLD_V6) for c in cidrs)
    return check(
        not open_to_world,
        "the public endpoint is off or limited to named CIDRs",
        "the API endpoint is open to the whole internet",
        Evidence("resourcesVpcConfig.endpointPublicAccess", vpc.get("endpointPublicAccess")),
        Evidence("resourcesVpcConfig.publicAccessCidrs", vpc.get("publicAccessCidrs")),
    )


@rule(
    id="aws.eks.private_endpoint_only",
    title="The EKS cluster has its private endpoint on and public access off",
    severity="medium",
    category="exposure",
    resource_type="aws.eks.cluster",
    rationale="With only the private endpoint, the API server is reachable from the VPC alone.",
    remediation="aws eks update-cluster-config --name NAME --resources-vpc-config "
    "endpointPrivateAccess=true,endpointPublicAccess=false",
)
def eks_private_endpoint(resource: ResourceRecord, ctx: Any) -> Verdict:
    vpc = resource.config.get("resourcesVpcConfig") or {}
    return check(
        vpc.get("endpointPrivateAccess") is True and vpc.get("endpointPublicAccess") is False,
        "only the private endpoint is enabled",
        "the cluster does not have private-only endpoint access",
        Evidence("resourcesVpcConfig.endpointPrivateAccess", vpc.get("endpointPrivateAccess")),
        Evidence("resourcesVpcConfig.endpointPublicAccess", vpc.get("endpointPublicAccess")),
    )


@rule(
    id="aws.eks.version_in_standard_support",
    title="The EKS cluster's Kubernetes version is in standard support",
    severity="medium",
    category="cluster",
    resource_type="aws.eks.cluster",
    rationale="Past standard support a version gets no new patches from the community and costs extra in "
    "extended support; at the end of that, EKS upgrades the cluster itself.",
    remediation="Upgrade the control plane one minor version at a time (aws eks update-cluster-version), then "
    "the node groups and add-ons.",
)
def eks_version_supported(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    version = resource.config.get("version")
    support = resource.config.get("_VersionSupport") or {}
    if support.get("versionStatus"):
        return check(
            support["versionStatus"] == "STANDARD_SUPPORT",
            f"Kubernetes {version} is in standard support",
            f"Kubernetes {version} is in {support['versionStatus']}",
            observed(resource.config, "version"),
            observed(resource.config, "_VersionSupport.versionStatus"),
        )
    parsed = minor(version)
    if parsed is None:
        return None
    known = sorted(END_OF_STANDARD_SUPPORT, key=lambda v: minor(v) or (0, 0))
    end = END_OF_STANDARD_SUPPORT.get(f"{parsed[0]}.{parsed[1]}")
    if end is None:
        older = parsed < (minor(known[0]) or (0, 0))
        return check(
            not older,
            f"Kubernetes {version} is newer than every version in the release calendar",
            f"Kubernetes {version} is older than {known[0]}, long out of standard support",
            observed(resource.config, "version"),
        )
    ended = dt.datetime.fromisoformat(end).replace(tzinfo=dt.UTC) <= now()
    return check(
        not ended,
        f"Kubernetes {version} is in standard support until {end}",
        f"standard support for Kubernetes {version} ended on {end}",
        observed(resource.config, "version"),
        Evidence("release calendar: end of standard support", end),
    )


def cluster_of(nodegroup: ResourceRecord, ctx: Any) -> ResourceRecord | None:
    name = nodegroup.config.get("clusterName")
    return next((c for c in ctx.resources("aws.eks.cluster") if c.name == name and c.region == nodegroup.region), None)


@rule(
    id="aws.eks.nodegroup_matches_control_plane_version",
    title="EKS node groups run the control plane's Kubernetes version",
    severity="medium",
    category="cluster",
    resource_type="aws.eks.nodegroup",
    rationale="Nodes left behind after a control plane upgrade miss kubelet fixes and drift towards the "
    "unsupported version skew.",
    remediation="aws eks update-nodegroup-version --cluster-name CLUSTER --nodegroup-name NODEGROUP",
)
def nodegroup_version(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    cluster = cluster_of(resource, ctx)
    node, plane = minor(resource.config.get("version")), minor(cluster.config.get("version") if cluster else None)
    if cluster is None or node is None or plane is None:
        return None
    return check(
        node >= plane,
        f"the node group runs {resource.config.get('version')}, as the control plane",
        f"the node group runs {resource.config.get('version')}, behind the control plane's "
        f"{cluster.config.get('version')}",
        observed(resource.config, "version"),
        Evidence(where(cluster, "version"), cluster.config.get("version")),
    )


@rule(
    id="aws.eks.nodegroup_no_public_admin_ports",
    title="EKS worker nodes do not expose SSH or RDP to the internet",
    severity="high",
    category="exposure",
    resource_type="aws.eks.nodegroup",
    rationale="A node group with an SSH key and no source security groups opens port 22 to 0.0.0.0/0; so does "
    "a cluster security group with an admin port open to the world.",
    remediation="Set remoteAccess.sourceSecurityGroups (or drop the SSH key and use SSM), and remove world "
    "ingress on 22/3389 from the cluster security group.",
)
def nodegroup_admin_ports(resource: ResourceRecord, ctx: Any) -> Verdict:
    remote = resource.config.get("remoteAccess") or {}
    evidence = [Evidence("remoteAccess", remote or None)]
    problems = []
    if remote.get("ec2SshKey") and not remote.get("sourceSecurityGroups"):
        problems.append("an SSH key without source security groups opens port 22 to the internet")
    cluster = cluster_of(resource, ctx)
    if cluster is not None:
        vpc = cluster.config.get("resourcesVpcConfig") or {}
        wanted = {vpc.get("clusterSecurityGroupId"), *(vpc.get("securityGroupIds") or [])} - {None}
        for group in ctx.resources("aws.ec2.security_group"):
            if group.config.get("GroupId") in wanted and group.region == resource.region:
                found = open_ports(group.config, ADMIN_PORTS, WORLD_V4) + open_ports(
                    group.config, ADMIN_PORTS, WORLD_V6
                )
                if found:
                    problems.append(
                        f"security group {group.config.get('GroupId')} opens {found[0]['Ports']} to the world"
                    )
                    evidence.append(Evidence(where(group, "IpPermissions"), found))
    return check(
        not problems,
        "no admin port of the worker nodes is open to the internet",
        "; ".join(problems),
        *evidence,
    )


# -- node groups' kubelet settings: the AMI family's defaults, and what the launch template overrides --------
# The EKS-optimized AMIs (Amazon Linux 2 and 2023, Bottlerocket) ship a hardened kubelet configuration
# (awslabs/amazon-eks-ami: anonymous auth off, Webhook authorization, the cluster CA, read-only port 0,
# certificate rotation) and root-owned kubelet files; a launch template's user data may override flags.
EKS_OPTIMIZED = ("AL2_", "AL2023_", "BOTTLEROCKET_")
SETTINGS_AT = "_KubeletSettings.settings"


def ami_family(resource: ResourceRecord) -> str:
    """``optimized``, ``custom`` (CUSTOM or an ImageId in the launch template) or ``windows``."""
    ami = str(resource.config.get("amiType") or "")
    if ami == "CUSTOM" or lookup(resource.config, "_KubeletSettings.customAmi"):
        return "custom"
    if ami.startswith("WINDOWS_"):
        return "windows"
    return "optimized" if ami.startswith(EKS_OPTIMIZED) or not ami else "custom"


@dataclass(frozen=True, slots=True)
class NodegroupKubeletCheck:
    """A kubelet setting of a node group: the launch template's override if any, else the AMI's default."""

    setting: KubeletSetting

    def __call__(self, resource: ResourceRecord, ctx: Any) -> Verdict | None:
        if ami_family(resource) == "windows":
            return None
        problem = unreadable(resource, "LaunchTemplate", "the launch template")
        if problem:
            return problem
        path = f"{SETTINGS_AT}.{self.setting.path}"
        value = lookup(resource.config, path)
        if value is not None:
            return FieldCheck(path, self.setting.expect, self.setting.ok, self.setting.bad)(resource, ctx)
        evidence = (Evidence("amiType", resource.config.get("amiType")), Evidence(path, None))
        if ami_family(resource) == "custom":
            return manual("a custom AMI: its own kubelet defaults apply (read them with --read-node-config)", *evidence)
        return passed("not overridden: the EKS-optimized AMI's kubelet default applies", *evidence)


for _setting in KUBELET_SETTINGS:
    if _setting.name == "kubelet_protect_kernel_defaults":
        continue  # not a default of every EKS-optimized AMI family
    rule(
        id=f"aws.eks.nodegroup_{_setting.name}",
        title=f"EKS node group: {_setting.title[0].lower()}{_setting.title[1:]}",
        severity=_setting.severity,
        category="cluster",
        resource_type="aws.eks.nodegroup",
        rationale=_setting.rationale + " Read from the launch template's user data and the AMI family.",
        remediation=_setting.remediation + " Remove the override from the launch template's user data.",
    )(NodegroupKubeletCheck(_setting))


@rule(
    id="aws.eks.nodegroup_eks_optimized_ami",
    title="EKS node group runs an EKS-optimized AMI",
    severity="low",
    category="cluster",
    resource_type="aws.eks.nodegroup",
    rationale="The EKS-optimized AMIs keep the kubelet's configuration and kubeconfig files root-owned and not "
    "world-writable, and are patched by AWS; a custom AMI's files and defaults are its builder's.",
    remediation="Use an AL2023, Bottlerocket or AL2 amiType (no ImageId in the launch template), or verify the "
    "custom AMI's kubelet files and settings.",
)
def nodegroup_eks_optimized_ami(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    family = ami_family(resource)
    if family == "windows":
        return None
    custom = observed(resource.config, "_KubeletSettings.customAmi")
    evidence = (Evidence("amiType", resource.config.get("amiType")), custom)
    return check(
        family == "optimized",
        f"{resource.config.get('amiType') or 'the default AMI type'} is an EKS-optimized AMI",
        "a custom AMI: its kubelet files and defaults are not EKS's",
        *evidence,
    )


# -- the node role's access to ECR: pulling is all a node needs ---------------------------------------------
ECR_WRITES = (
    "ecr:PutImage",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:BatchDeleteImage",
    "ecr:CreateRepository",
    "ecr:DeleteRepository",
    "ecr:SetRepositoryPolicy",
    "ecr:DeleteRepositoryPolicy",
    "ecr:PutLifecyclePolicy",
    "ecr:PutImageTagMutability",
    "ecr:PutReplicationConfiguration",
    "ecr:PutRegistryPolicy",
)
# AWS managed policies (their documents are not in the scan) that let a principal push or delete images
ECR_WRITING_MANAGED = {
    f"arn:aws:iam::aws:policy/{name}"
    for name in (
        "AmazonEC2ContainerRegistryFullAccess",
        "AmazonEC2ContainerRegistryPowerUser",
        "AdministratorAccess",
        "PowerUserAccess",
        "EC2InstanceProfileForImageBuilderECRContainerBuilds",
    )
}


def _document(value: Any) -> Any:
    """A policy document as IAM returns it: a dict, or URL-encoded JSON."""
    if isinstance(value, str):
        try:
            return json.loads(urllib.parse.unquote(value))
        except ValueError:
            return None
    return value


def _matches(patterns: Any, action: str) -> bool:
    """IAM's action matching: ``*`` and ``?`` wildcards, case-insensitive."""
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in as_list(patterns))


def _writes_ecr(statement: dict[str, Any]) -> list[str]:
    """The ECR write actions an Allow statement grants (``NotAction`` grants all it does not name)."""
    if statement.get("Effect") != "Allow":
        return []
    if "NotAction" in statement:
        return [a for a in ECR_WRITES if not _matches(statement["NotAction"], a)]
    return [a for a in ECR_WRITES if _matches(statement.get("Action"), a)]


def _role_documents(role: ResourceRecord, ctx: Any) -> list[tuple[str, Any]]:
    """(where, document) for the role's inline policies and its attached customer managed policies."""
    found = [
        (where(role, f"RolePolicyList.{i}.PolicyDocument"), _document(p.get("PolicyDocument")))
        for i, p in enumerate(role.config.get("RolePolicyList") or [])
        if isinstance(p, dict)
    ]
    attached = {p.get("PolicyArn") for p in role.config.get("AttachedManagedPolicies") or [] if isinstance(p, dict)}
    for policy in ctx.resources("aws.iam.policy"):
        if policy.uid in attached:
            found.append((where(policy, "DefaultVersion.Document"), _document(lookup_document(policy.config))))
    return found


@rule(
    id="aws.eks.nodegroup_registry_read_only",
    title="EKS node role can pull from ECR but not push",
    severity="medium",
    category="identity",
    resource_type="aws.eks.nodegroup",
    rationale="Every pod on a node can use the node's role through the instance metadata service. A node role "
    "that may push or delete images lets one compromised pod replace the images every other cluster pulls.",
    remediation="Attach AmazonEC2ContainerRegistryReadOnly (or AmazonEC2ContainerRegistryPullOnly) to the node "
    "role and remove the policies that grant ECR writes; give push rights to the CI role only.",
    references=("https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html",),
)
def nodegroup_registry_read_only(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    arn = resource.config.get("nodeRole")
    role = next((r for r in ctx.resources("aws.iam.role") if r.uid == arn), None)
    if role is None:
        return None  # the role is in another account, or IAM was not read
    managed = [p.get("PolicyArn") for p in role.config.get("AttachedManagedPolicies") or [] if isinstance(p, dict)]
    problems = [Evidence(where(role, "AttachedManagedPolicies"), a) for a in managed if a in ECR_WRITING_MANAGED]
    for path, document in _role_documents(role, ctx):
        for i, statement in enumerate(statements(document)):
            if _writes_ecr(statement):
                problems.append(Evidence(f"{path}.Statement.{i}", statement))
    return check(
        not problems,
        "the node role has no ECR write permission",
        f"the node role {role.name} may push or delete ECR images",
        Evidence("nodeRole", arn),
        Evidence(where(role, "AttachedManagedPolicies"), managed),
        *problems,
    )
