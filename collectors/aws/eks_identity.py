"""EKS Pod Identity: which IAM role each (namespace, service account) of a cluster is given.

One record per cluster, ``aws.eks.pod_identity_associations`` (uid: the cluster ARN +
``/pod-identity-associations``), holding ``DescribePodIdentityAssociation``'s answer for every association
(the listing carries no role). A listing the endpoint does not offer is noted under ``_errors`` (unknown,
not "none"), and the cluster's other records are unaffected: they come from the ``eks`` collector.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.aws.common import Secondary, paginate, record
from collectors.aws.containers import clusters
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def associations(eks: Any, cluster: str, extra: Secondary) -> list[dict[str, Any]]:
    listed = extra.call(
        "PodIdentityAssociations",
        lambda: list(paginate(eks, "list_pod_identity_associations", "associations", clusterName=cluster)),
        default=[],
    )
    found = []
    for summary in listed or []:
        ident = summary.get("associationId")
        detail = extra.call(
            f"PodIdentityAssociation.{ident}",
            eks.describe_pod_identity_association,
            clusterName=cluster,
            associationId=ident,
        )
        found.append((detail or {}).get("association") or summary)
    return found


@REGISTRY.collector(
    "aws",
    "eks_pod_identity",
    permissions=("eks:ListClusters", "eks:ListPodIdentityAssociations", "eks:DescribePodIdentityAssociation"),
)
def collect_pod_identity(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    eks = session.client("eks", region)
    account = session.account_id()
    for name in clusters(session, region):
        extra = Secondary()
        arn = f"arn:aws:eks:{region}:{account}:cluster/{name}"
        config = {"clusterName": name, "clusterArn": arn, "associations": associations(eks, name, extra)}
        uid = f"{arn}/pod-identity-associations"
        yield record("eks", "eks.pod_identity_associations", uid, name, extra.attach(config), region=region)
