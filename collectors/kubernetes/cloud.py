"""A client Configuration for a managed cluster reached with its cloud account's identity (``--via``).

The cloud package says where the API server is, which CA signs it and how to get a bearer token
(:mod:`collectors.cluster_access`); this module turns that into a fresh ``client.Configuration`` through
the client's own kubeconfig loader (so the CA lands in the loader's temporary file, as for any kubeconfig),
then installs a hook that puts a current token on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes import client
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.kube_config import load_kube_config_from_dict

from collectors.cluster_access import ClusterAccess, cloud_target, cluster_access
from collectors.kubernetes.kubeconfig import check_kubeconfig
from collectors.records import CredentialPolicy
from collectors.registry import InvalidCredentials

# What the cloud's own kubeconfig may carry: inline data, as for one pasted in a web form.
CLOUD_KUBECONFIG = CredentialPolicy(server_files=False)


def _kubeconfig(access: ClusterAccess, name: str, token: str) -> dict[str, Any]:
    cluster: dict[str, Any] = {"server": access.server}
    if access.ca_data:
        cluster["certificate-authority-data"] = access.ca_data
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }


def _install_token(configuration: client.Configuration, token: Callable[[], str]) -> None:
    """Before every request the client calls this hook: give it the current token (re-minted when due)."""

    def refresh(config: client.Configuration) -> None:
        config.api_key["authorization"] = f"Bearer {token()}"
        config.api_key_prefix.pop("authorization", None)

    configuration.refresh_api_key_hook = refresh


def cloud_configuration(credentials: dict[str, Any]) -> tuple[client.Configuration, str]:
    """``(configuration, context label)`` for a ``{"via": ..., "cluster": REF}`` credential set."""
    cloud = cloud_target(credentials)
    ref = str(credentials.get("cluster") or "")
    access = cluster_access(cloud, ref)
    label = f"{access.platform} {ref.rsplit('/', 1)[-1]} via {cloud.name}"
    configuration = type.__call__(client.Configuration)  # a fresh one, not a copy of the global default
    if access.kubeconfig is not None:
        data = access.kubeconfig
        check_kubeconfig(data, str(data.get("current-context") or ""), CLOUD_KUBECONFIG, f"{cloud.name}'s answer")
    else:
        assert access.token is not None, "a cluster access without kubeconfig carries a token source"
        data = _kubeconfig(access, "cluster", access.token())
    try:
        load_kube_config_from_dict(data, client_configuration=configuration, persist_config=False)
    except (ConfigException, ValueError, KeyError, TypeError) as exc:
        raise InvalidCredentials(f"the cluster credential from {cloud.name} cannot be used: {exc}") from None
    if access.kubeconfig is None and access.token is not None:
        _install_token(configuration, access.token)
    return configuration, label
