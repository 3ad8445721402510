"""What a node's kubelet answers at ``/api/v1/nodes/NAME/proxy/configz``: its KubeletConfiguration.

The shape is the kubelet's own (``{"kubeletconfig": {...}}``, v1beta1 field names, defaults filled in;
``readOnlyPort`` left out when 0, as the kubelet's JSON omits empty values). :func:`hardened` is what a
kubeadm or managed-image node runs; keyword overrides make a weak one.
"""

from __future__ import annotations

import copy
from typing import Any

HARDENED: dict[str, Any] = {
    "kind": "KubeletConfiguration",
    "apiVersion": "kubelet.config.k8s.io/v1beta1",
    "enableServer": True,
    "staticPodPath": "/etc/kubernetes/manifests",
    "address": "0.0.0.0",
    "port": 10250,
    "tlsCertFile": "/var/lib/kubelet/pki/kubelet.crt",
    "tlsPrivateKeyFile": "/var/lib/kubelet/pki/kubelet.key",
    "rotateCertificates": True,
    "serverTLSBootstrap": True,
    "authentication": {
        "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"},
        "webhook": {"enabled": True, "cacheTTL": "2m0s"},
        "anonymous": {"enabled": False},
    },
    "authorization": {"mode": "Webhook", "webhook": {"cacheAuthorizedTTL": "5m0s", "cacheUnauthorizedTTL": "30s"}},
    "registryPullQPS": 5,
    "registryBurst": 10,
    "eventRecordQPS": 50,
    "eventBurst": 100,
    "enableDebuggingHandlers": True,
    "healthzPort": 10248,
    "healthzBindAddress": "127.0.0.1",
    "clusterDomain": "cluster.local",
    "clusterDNS": ["10.96.0.10"],
    "streamingConnectionIdleTimeout": "4h0m0s",
    "nodeStatusUpdateFrequency": "10s",
    "cgroupDriver": "systemd",
    "maxPods": 110,
    "makeIPTablesUtilChains": True,
    "protectKernelDefaults": True,
    "featureGates": {"RotateKubeletServerCertificate": True},
    "failSwapOn": True,
    "containerRuntimeEndpoint": "unix:///run/containerd/containerd.sock",
}


def hardened(**overrides: Any) -> dict[str, Any]:
    """The configz body of a hardened kubelet with ``overrides`` (``a__b`` sets ``b`` in ``a``; None removes)."""
    config = copy.deepcopy(HARDENED)
    for key, value in overrides.items():
        *parents, last = key.split("__")
        target = config
        for part in parents:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return {"kubeletconfig": config}


def weak() -> dict[str, Any]:
    """A kubelet left open: anonymous requests allowed, the unauthenticated read-only port on."""
    return hardened(
        authentication__anonymous__enabled=True,
        authorization__mode="AlwaysAllow",
        readOnlyPort=10255,
        protectKernelDefaults=None,
        streamingConnectionIdleTimeout="0s",
    )


def drifted() -> dict[str, Any]:
    """A kubelet whose other settings drifted: no client CA, iptables chains and rotation off, events throttled."""
    return hardened(
        authentication__x509__clientCAFile="",
        makeIPTablesUtilChains=False,
        eventRecordQPS=1,
        rotateCertificates=None,
        featureGates__RotateKubeletServerCertificate=False,
    )
