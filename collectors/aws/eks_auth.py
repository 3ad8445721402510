"""EKS: the API server from ``eks.describe_cluster`` and a bearer token as ``aws eks get-token`` makes it.

The token is ``k8s-aws-v1.`` + base64url (no padding) of an STS ``GetCallerIdentity`` URL pre-signed
for 60 seconds with the ``x-k8s-aws-id: <cluster name>`` header signed in. The cluster's authenticator
(aws-iam-authenticator) calls that URL and maps the ARN STS returns to a Kubernetes user (access entries
or the aws-auth ConfigMap). STS honours the signature for 15 minutes from ``X-Amz-Date``, so the token is
re-minted after 14 (as ``aws eks get-token`` reports ``expirationTimestamp``).
"""

from __future__ import annotations

import base64
import time
from typing import Any

from collectors.aws.provider import AwsProvider, AwsSession
from collectors.cluster_access import CachedToken, ClusterAccess, parse_cluster_ref
from collectors.records import Target

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
URL_TIMEOUT = 60
TOKEN_LIFETIME = 14 * 60


def _take_cluster_id(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if CLUSTER_ID_HEADER in params:
        context[CLUSTER_ID_HEADER] = params.pop(CLUSTER_ID_HEADER)


def _sign_cluster_id(request: Any, **_: Any) -> None:
    if CLUSTER_ID_HEADER in request.context:
        request.headers[CLUSTER_ID_HEADER] = request.context[CLUSTER_ID_HEADER]


def token_client(session: AwsSession, region: str) -> Any:
    """An STS client of its own (the session's cached one stays untouched) that signs the cluster id header."""
    sts = session.session.client("sts", region_name=region, endpoint_url=session.endpoint_url, config=session.config)
    sts.meta.events.register("provide-client-params.sts.GetCallerIdentity", _take_cluster_id)
    sts.meta.events.register("before-sign.sts.GetCallerIdentity", _sign_cluster_id)
    return sts


def get_token(sts: Any, cluster_name: str) -> str:
    """One EKS bearer token for ``cluster_name`` from an STS client made by :func:`token_client`."""
    url = sts.generate_presigned_url(
        "get_caller_identity", Params={CLUSTER_ID_HEADER: cluster_name}, ExpiresIn=URL_TIMEOUT, HttpMethod="GET"
    )
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def cluster_access(cloud: Target, ref: str) -> ClusterAccess:
    parts = parse_cluster_ref("aws", ref)
    region, name = parts["region"], parts["name"]
    session = AwsProvider().connect(cloud)
    cluster = session.client("eks", region).describe_cluster(name=name)["cluster"]
    endpoint = cluster.get("endpoint") or ""
    if not endpoint:
        raise RuntimeError(f"EKS cluster {name} has no API server endpoint yet (status {cluster.get('status')})")
    sts = token_client(session, region)
    return ClusterAccess(
        server=endpoint,
        ca_data=(cluster.get("certificateAuthority") or {}).get("data") or "",
        token=CachedToken(lambda: (get_token(sts, name), time.time() + TOKEN_LIFETIME)),
        platform="eks",
    )
