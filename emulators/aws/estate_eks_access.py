"""EKS access: the clusters' access configuration, and the node role's access to ECR.

:func:`set_access_config`: DescribeCluster's ``accessConfig``, which moto does not keep.

moto accepts ``accessConfig`` on CreateCluster and drops it; DescribeCluster then has no ``accessConfig`` at
all, where EKS always answers one. moto runs in this process (the demo's and the tests' threaded server),
so the estate sets it on moto's cluster object, in the shape EKS answers: ``authenticationMode`` one of
``API``, ``API_AND_CONFIG_MAP``, ``CONFIG_MAP``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

AUTHENTICATION_MODES = ("API", "API_AND_CONFIG_MAP", "CONFIG_MAP")


def set_access_config(client: Callable[[str], Any], name: str, mode: str, *, creator_admin: bool = True) -> None:
    """Give moto's EKS cluster ``name`` (in the client's account and region) an access configuration."""
    if mode not in AUTHENTICATION_MODES:
        raise ValueError(f"authenticationMode must be one of {', '.join(AUTHENTICATION_MODES)}, not {mode!r}")
    from moto.eks.models import eks_backends

    eks = client("eks")
    account = client("sts").get_caller_identity()["Account"]
    cluster = eks_backends[account][eks.meta.region_name].clusters.get(name)
    if cluster is None:
        raise LookupError(f"no EKS cluster {name!r} in this process's moto (account {account})")
    cluster.access_config = {"bootstrapClusterCreatorAdminPermissions": creator_admin, "authenticationMode": mode}


NODE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
# what a node needs to pull, and the build-cache push someone once added for a job running on the nodes
NODE_REGISTRY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": "*",
        },
        {
            "Sid": "BuildCache",
            "Effect": "Allow",
            "Action": ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"],
            "Resource": "*",
        },
    ],
}


def build_node_role(client: Callable[[str], Any], name: str = "eks-node") -> str:
    """The node groups' IAM role, whose inline registry policy also pushes images; returns its ARN."""
    iam = client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(NODE_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="node-registry", PolicyDocument=json.dumps(NODE_REGISTRY))
    return str(arn)
