"""Make a cloud emulator's managed cluster answer at a Kubernetes API emulator, as the cloud would report it.

- EKS (moto, in this process): ``describe_cluster`` reports the emulator's URL as ``endpoint`` and its CA as
  ``certificateAuthority.data`` (moto itself makes up a host and random CA bytes);
- AKS: ``listClusterUserCredential`` hands out a kubeconfig for the emulator (:func:`aks_user_kubeconfig`,
  given to ``ArmEmulator.set_cluster_credential``);
- GKE: see :func:`emulators.gcp.estate_gke.point_cluster`.
"""

from __future__ import annotations

import base64
from datetime import UTC
from typing import Any

import yaml

from emulators.kubernetes.cloud_auth import AwsKey

# The server application id AKS puts in an Entra ID cluster's kubelogin arguments.
AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"


class MotoKeys:
    """The access keys moto (in this process) has issued, as STS knows them: IAM users' keys and assumed-role
    sessions (with their session token and expiry). For :class:`EksTokenReviewer`'s ``keys``."""

    def __init__(self, account: str, partition: str = "aws") -> None:
        self.account, self.partition = account, partition

    def get(self, key_id: str) -> AwsKey | None:
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends

        for user in iam_backends[self.account][self.partition].users.values():
            for key in user.access_keys:
                if key.access_key_id == key_id and key.status == "Active":
                    return AwsKey(key.secret_access_key, user.arn)
        role = sts_backends[self.account][self.partition].get_assumed_role_from_access_key(key_id)
        if role is None:
            return None
        expires_at = role.expiration.replace(tzinfo=UTC).timestamp()
        return AwsKey(role.secret_access_key, role.arn, role.session_token, expires_at)


def point_eks_cluster(account: str, region: str, name: str, server: str, ca_pem: bytes) -> None:
    """Point moto's EKS cluster ``name`` (moto running in this process) at ``server``."""
    from moto.eks.models import eks_backends

    cluster = eks_backends[account][region].clusters[name]
    cluster.endpoint = server
    cluster.certificate_authority = {"data": base64.b64encode(ca_pem).decode()}


def aks_user_kubeconfig(cluster_name: str, server: str, ca_pem: bytes, *, token: str = "", aad: bool = False) -> str:
    """The kubeconfig AKS hands out as the cluster user credential (``format=exec`` for an Entra ID cluster).

    A local-account cluster's user carries a static ``token``; an Entra ID cluster's user runs kubelogin,
    which gets an Entra token for the AKS server application.
    """
    user: dict[str, Any] = {"token": token}
    if aad:
        user = {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": "kubelogin",
                "args": ["get-token", "--environment", "AzurePublicCloud", "--server-id", AKS_AAD_SERVER_ID,
                         "--client-id", "80faf920-1908-4b52-b5ef-a8e7bedfc67a", "--login", "devicecode"],
                "provideClusterInfo": False,
            }
        }  # fmt: skip
    user_name = f"clusterUser_{cluster_name}"
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()},
                }
            ],
            "users": [{"name": user_name, "user": user}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": user_name}}],
            "current-context": cluster_name,
            "preferences": {},
        }
    )
