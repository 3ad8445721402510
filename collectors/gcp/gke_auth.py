"""GKE: the API server from ``clusters.get`` (``endpoint``, ``masterAuth.clusterCaCertificate``) and the cloud
account's own OAuth access token as the bearer, as ``gke-gcloud-auth-plugin`` hands it to kubectl.

The token is refreshed through google-auth when it is about to expire (service-account keys, the default
chain); a pre-issued access token is used as it is until the cluster refuses it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC

from google.auth.transport.requests import Request

from collectors.cluster_access import CachedToken, ClusterAccess, parse_cluster_ref
from collectors.gcp.clients import cluster_manager
from collectors.gcp.provider import GcpProvider
from collectors.gcp.session import GcpSession
from collectors.records import Target

PRE_ISSUED_LIFETIME = 300.0  # a token without expiry is asked for again (and reused) every 5 minutes


def token_source(session: GcpSession) -> CachedToken:
    credentials, lock = session.credentials, threading.Lock()

    def mint() -> tuple[str, float]:
        with lock:
            if not credentials.valid or getattr(credentials, "expired", False):
                credentials.refresh(Request())
            expiry = getattr(credentials, "expiry", None)
            expires_at = expiry.replace(tzinfo=UTC).timestamp() if expiry else time.time() + PRE_ISSUED_LIFETIME
            return str(credentials.token), expires_at

    return CachedToken(mint, margin=120)


def server_url(endpoint: str) -> str:
    """GKE's ``endpoint`` is a bare address (``34.1.2.3``); the API server listens on https there."""
    return endpoint if endpoint.startswith("https://") else f"https://{endpoint}"


def cluster_access(cloud: Target, ref: str) -> ClusterAccess:
    parts = parse_cluster_ref("gcp", ref)
    creds = dict(cloud.credentials)
    if not {"projects", "folder", "organization"} & set(creds):
        creds["projects"] = parts["project"]
    session = GcpProvider().connect(replace(cloud, regions=(), credentials=creds))
    name = f"projects/{parts['project']}/locations/{parts['location']}/clusters/{parts['name']}"
    cluster = cluster_manager(session).get_cluster(name=name)
    if not cluster.endpoint:
        raise RuntimeError(f"GKE cluster {parts['name']} has no API server endpoint yet")
    return ClusterAccess(
        server=server_url(cluster.endpoint),
        ca_data=cluster.master_auth.cluster_ca_certificate or "",
        token=token_source(session),
        platform="gke",
    )
