"""Containers per region: EKS clusters and node groups; ECR repositories, their images and the registry's
scanning configuration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.aws import ecr_reads
from collectors.aws.common import Secondary, detail_map, paginate, record, tags_of
from collectors.aws.eks_nodes import launch_template_kubelet
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def clusters(session: AwsSession, region: str) -> list[str]:
    """The region's EKS cluster names (ListClusters, every page), read once for ``eks`` and ``eks_pod_identity``."""
    eks = session.client("eks", region)
    return session.shared(("eks", region, "clusters"), lambda: list(paginate(eks, "list_clusters", "clusters")))


def cluster_versions(eks: Any, extra: Secondary) -> dict[str, dict[str, Any]]:
    """EKS's own support calendar (DescribeClusterVersions), when the endpoint offers it."""
    found = extra.call(
        "ClusterVersions",
        lambda: list(paginate(eks, "describe_cluster_versions", "clusterVersions", includeAll=True)),
        default=[],
    )
    return {
        v["clusterVersion"]: v for v in found or [] if isinstance(v, dict) and isinstance(v.get("clusterVersion"), str)
    }


def nodegroup_config(ec2: Any, nodegroup: dict[str, Any]) -> dict[str, Any]:
    """The node group with the kubelet settings its launch template's user data overrides, if it has one."""
    if not ec2 or not isinstance(nodegroup.get("launchTemplate"), dict):
        return nodegroup
    extra = Secondary()
    config = {
        **nodegroup,
        "_KubeletSettings": extra.call("LaunchTemplate", launch_template_kubelet, ec2, nodegroup["launchTemplate"]),
    }
    return extra.attach(config)


def cluster_records(
    eks: Any, name: str, region: str, versions: dict[str, Any], region_errors: dict[str, str], ec2: Any = None
) -> list[ResourceRecord]:
    """The cluster and its node groups; a node group that cannot be read is noted on the cluster."""
    cluster = eks.describe_cluster(name=name)["cluster"]
    extra = Secondary()
    extra.errors.update(region_errors)
    config = dict(cluster)
    config.pop("certificateAuthority", None)  # public, but bulky and of no use to a rule
    if cluster.get("version") in versions:
        config["_VersionSupport"] = versions[cluster["version"]]
    groups = extra.call(
        "Nodegroups", lambda: list(paginate(eks, "list_nodegroups", "nodegroups", clusterName=name)), default=[]
    )
    nodegroups = []
    for group in groups or []:
        detail = extra.call(f"Nodegroup.{group}", eks.describe_nodegroup, clusterName=name, nodegroupName=group)
        if detail is None:
            continue
        ng = nodegroup_config(ec2, detail["nodegroup"])
        nodegroups.append(
            record(
                "eks",
                "eks.nodegroup",
                ng["nodegroupArn"],
                f"{name}/{group}",
                ng,
                region=region,
                tags=tags_of(ng.get("tags")),
            )
        )
    cluster_record = record(
        "eks",
        "eks.cluster",
        cluster["arn"],
        name,
        extra.attach(config),
        region=region,
        tags=tags_of(cluster.get("tags")),
    )
    return [cluster_record, *nodegroups]


@REGISTRY.collector(
    "aws",
    "eks",
    permissions=(
        "eks:ListClusters",
        "eks:DescribeCluster",
        "eks:DescribeClusterVersions",
        "eks:ListNodegroups",
        "eks:DescribeNodegroup",
        "ec2:DescribeLaunchTemplateVersions",
    ),
)
def collect_eks(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    eks = session.client("eks", region)
    names = clusters(session, region)
    if not names:
        return
    extra = Secondary()
    versions = cluster_versions(eks, extra)
    ec2 = session.client("ec2", region)  # node groups' launch templates
    for records in detail_map(lambda n: cluster_records(eks, n, region, versions, extra.errors, ec2), names):
        yield from records


def image_summary(session: AwsSession, region: str, repo: dict[str, Any]) -> dict[str, Any]:
    count, newest = 0, None
    for image in ecr_reads.images(session, region, repo):
        count += 1
        pushed = image.get("imagePushedAt")
        if pushed is not None and (newest is None or pushed > newest):
            newest = pushed
    return {"ImageCount": count, "LatestImagePushedAt": newest}


def repository_record(session: AwsSession, repo: dict[str, Any], region: str) -> ResourceRecord:
    extra = Secondary()
    config = dict(repo)
    config["_Images"] = extra.call("Images", image_summary, session, region, repo)
    return record(
        "ecr", "ecr.repository", repo["repositoryArn"], repo["repositoryName"], extra.attach(config), region=region
    )


@REGISTRY.collector(
    "aws", "ecr", permissions=("ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:GetRegistryScanningConfiguration")
)
def collect_ecr(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    account = session.account_id()
    repos = ecr_reads.repositories(session, region)
    extra = Secondary()
    scanning = extra.call("ScanningConfiguration", ecr_reads.scanning_configuration, session, region) or {}
    config = {
        "AccountId": account,
        "registryId": scanning.get("registryId", account),
        "scanningConfiguration": scanning.get("scanningConfiguration"),
    }
    uid = f"arn:aws:ecr:{region}:{account}:registry"
    yield record("ecr", "ecr.registry", uid, f"{account}/{region}", extra.attach(config), region=region)
    yield from detail_map(lambda r: repository_record(session, r, region), repos)
