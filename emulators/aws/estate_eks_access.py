"""EKS clusters' access configuration (DescribeCluster ``accessConfig``), which moto does not keep.

moto accepts ``accessConfig`` on CreateCluster and drops it; DescribeCluster then has no ``accessConfig`` at
all, where EKS always answers one. moto runs in this process (the demo's and the tests' threaded server),
so the estate sets it on moto's cluster object, in the shape EKS answers: ``authenticationMode`` one of
``API``, ``API_AND_CONFIG_MAP``, ``CONFIG_MAP``.
"""

from __future__ import annotations

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
