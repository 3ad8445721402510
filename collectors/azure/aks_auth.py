"""AKS: the cluster user credential (``managedClusters/{name}/listClusterUserCredential``), as ``az aks
get-credentials`` fetches it.

ARM answers with base64 kubeconfigs. A cluster with local accounts hands out a kubeconfig whose user has a
token (or a client certificate): it is used as it is. A Microsoft Entra ID (AAD) cluster hands out an
``exec: kubelogin`` user (``format=exec``); kubelogin would get an Entra token for the cluster's server
application (``--server-id``), and so does this module, from the cloud account's own credential, re-minted
before it expires. Nothing is written to disk but the CA, as the Kubernetes client needs it in a file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import yaml

from collectors.azure.provider import AzureProvider
from collectors.cluster_access import CachedToken, ClusterAccess, parse_cluster_ref
from collectors.records import Target

# The Entra application every AKS-managed AAD cluster authenticates against (kubelogin's default server id).
AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"


def _selected(kubeconfig: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(context, cluster, user) entries of the kubeconfig's current context (or its first one)."""
    contexts = [c for c in kubeconfig.get("contexts") or [] if isinstance(c, dict)]
    if not contexts:
        raise ValueError("the cluster user credential has no contexts")
    wanted = kubeconfig.get("current-context")
    context = next((c for c in contexts if c.get("name") == wanted), contexts[0])
    ctx = context.get("context") or {}
    cluster = next((c for c in kubeconfig.get("clusters") or [] if c.get("name") == ctx.get("cluster")), None)
    user = next((u for u in kubeconfig.get("users") or [] if u.get("name") == ctx.get("user")), None)
    if cluster is None or user is None:
        raise ValueError("the cluster user credential's context names a cluster or user it does not define")
    return context, cluster, user


def server_id(user: dict[str, Any]) -> str:
    """The Entra server application of an ``exec: kubelogin`` or ``auth-provider: azure`` user; '' if neither."""
    spec = user.get("user") or {}
    exec_spec = spec.get("exec") or {}
    if exec_spec:
        args = [str(a) for a in exec_spec.get("args") or []]
        for i, arg in enumerate(args):
            if arg == "--server-id" and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith("--server-id="):
                return arg.split("=", 1)[1]
        return AKS_AAD_SERVER_ID
    provider = spec.get("auth-provider") or {}
    if provider.get("name") == "azure":
        return str((provider.get("config") or {}).get("apiserver-id") or AKS_AAD_SERVER_ID)
    return ""


def cluster_access(cloud: Target, ref: str) -> ClusterAccess:
    parts = parse_cluster_ref("azure", ref)
    cloud_creds = {**cloud.credentials, "subscription_id": parts["subscription"]}
    session = AzureProvider().connect(replace(cloud, credentials=cloud_creds))
    client = session.client("aks", parts["subscription"])
    result = client.managed_clusters.list_cluster_user_credentials(parts["group"], parts["name"], format="exec")
    kubeconfigs = [k for k in result.kubeconfigs or [] if k.value]
    if not kubeconfigs:
        raise ValueError(f"AKS handed out no kubeconfig for {parts['name']}")
    raw = kubeconfigs[0].value
    kubeconfig = yaml.safe_load(raw.decode() if isinstance(raw, bytes) else str(raw))
    if not isinstance(kubeconfig, dict):
        raise ValueError("the cluster user credential is not a kubeconfig")
    _, cluster, user = _selected(kubeconfig)
    server = str((cluster.get("cluster") or {}).get("server") or "")
    ca_data = str((cluster.get("cluster") or {}).get("certificate-authority-data") or "")
    app = server_id(user)
    if not app:  # a local account: its token or client certificate, as handed out
        return ClusterAccess(server=server, ca_data=ca_data, kubeconfig=kubeconfig, platform="aks")
    credential, scope = session.credential, f"{app}/.default"

    def mint() -> tuple[str, float]:
        token = credential.get_token(scope)
        return token.token, float(token.expires_on)

    return ClusterAccess(server=server, ca_data=ca_data, token=CachedToken(mint, margin=300), platform="aks")
