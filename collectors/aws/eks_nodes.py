"""EKS node groups' kubelet settings, from the launch template's user data (no agent on the nodes).

A managed node group built from a launch template runs that template's user data: an AL2 bootstrap call
(``/etc/eks/bootstrap.sh CLUSTER --kubelet-extra-args '--read-only-port=10255'``) or an AL2023 nodeadm
``NodeConfig`` (``spec.kubelet.config`` and ``spec.kubelet.flags``), usually inside a MIME multi-part
document. Only the kubelet settings the rules judge are kept, as a KubeletConfiguration-shaped dict under
``_KubeletSettings.settings``: user data often carries secrets, so nothing else of it is stored.
Without overrides the EKS-optimized AMIs' own kubelet configuration applies (the rules read ``amiType``).
"""

from __future__ import annotations

import base64
import binascii
import email
import re
from collections.abc import Callable
from typing import Any

import yaml

# kubelet flag -> (KubeletConfiguration path, how to read the value)
Reader = Callable[[str], Any]


def _bool(text: str) -> bool | str:
    lowered = text.strip().lower()
    return {"true": True, "false": False, "1": True, "0": False}.get(lowered, text)


def _int(text: str) -> int | str:
    return int(text) if text.strip().lstrip("-").isdigit() else text


def _gates(text: str) -> dict[str, Any]:
    gates = dict(part.partition("=")[::2] for part in text.split(",") if "=" in part)
    return {k.strip(): _bool(v) for k, v in gates.items() if k.strip() == "RotateKubeletServerCertificate"}


FLAGS: dict[str, tuple[str, Reader]] = {
    "anonymous-auth": ("authentication.anonymous.enabled", _bool),
    "authorization-mode": ("authorization.mode", str),
    "client-ca-file": ("authentication.x509.clientCAFile", str),
    "read-only-port": ("readOnlyPort", _int),
    "streaming-connection-idle-timeout": ("streamingConnectionIdleTimeout", str),
    "make-iptables-util-chains": ("makeIPTablesUtilChains", _bool),
    "protect-kernel-defaults": ("protectKernelDefaults", _bool),
    "event-qps": ("eventRecordQPS", _int),
    "rotate-certificates": ("rotateCertificates", _bool),
    "feature-gates": ("featureGates", _gates),
}
BARE_TRUE = ("anonymous-auth", "make-iptables-util-chains", "protect-kernel-defaults", "rotate-certificates")
FLAG = re.compile(r"--(" + "|".join(map(re.escape, FLAGS)) + r")(?![\w-])(?:=|[ \t]+(?!-))?([^\s'\"]*)")
CONFIG_PATHS = tuple(path for path, _ in FLAGS.values())


def _set(settings: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = settings
    for part in parents:
        node = node.setdefault(part, {})
    if isinstance(value, dict) and isinstance(node.get(last), dict):
        node[last] = {**node[last], **value}
    elif value != {}:
        node[last] = value


def _flags(text: str, settings: dict[str, Any]) -> None:
    for name, value in FLAG.findall(text):
        path, read = FLAGS[name]
        if not value and name in BARE_TRUE:
            _set(settings, path, True)
        elif value:
            _set(settings, path, read(value))


def _lookup(config: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(config, dict) or part not in config:
            return None
        config = config[part]
    return config


def _node_config(document: Any, settings: dict[str, Any]) -> None:
    """An AL2023 nodeadm NodeConfig: its kubelet config fields and flags."""
    kubelet = _lookup(document, "spec.kubelet")
    if not isinstance(kubelet, dict):
        return
    config = kubelet.get("config")
    for path in CONFIG_PATHS:
        value = _lookup(config, path)
        if path == "featureGates" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k == "RotateKubeletServerCertificate"}
        if value is not None:
            _set(settings, path, value)
    for flag in kubelet.get("flags") or []:
        _flags(str(flag), settings)


def _parts(text: str) -> list[tuple[str, str]]:
    """(content type, body) of each part of a MIME multi-part user data, or the whole text as one part."""
    if "MIME-Version" not in text[:2000] and "Content-Type: multipart" not in text[:2000]:
        return [("text/x-shellscript", text)]
    message = email.message_from_string(text)
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        body = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(part.get_payload())
        found.append((part.get_content_type(), body))
    return found


def kubelet_settings(user_data: str) -> dict[str, Any]:
    """The kubelet settings a launch template's (base64) user data overrides, as KubeletConfiguration fields."""
    try:
        text = base64.b64decode(user_data, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        raise ValueError("the launch template's user data is not base64") from None
    settings: dict[str, Any] = {}
    for content_type, body in _parts(text):
        if "node.eks.aws" in content_type or "kind: NodeConfig" in body:
            try:
                for document in yaml.safe_load_all(body):
                    _node_config(document, settings)
            except yaml.YAMLError:
                raise ValueError("the launch template's NodeConfig is not valid YAML") from None
        else:
            _flags(body, settings)
    return settings


def launch_template_kubelet(ec2: Any, launch_template: dict[str, Any]) -> dict[str, Any]:
    """``{"launchTemplate": ..., "version": N, "settings": {...}}`` for the node group's template version."""
    ref = {"LaunchTemplateId": launch_template["id"]} if launch_template.get("id") else None
    if ref is None:
        ref = {"LaunchTemplateName": str(launch_template.get("name", ""))}
    version = str(launch_template.get("version") or "$Default")
    found = ec2.describe_launch_template_versions(**ref, Versions=[version])["LaunchTemplateVersions"]
    if not found:
        raise ValueError(f"the launch template has no version {version}")
    data = found[0].get("LaunchTemplateData") or {}
    user_data = data.get("UserData")
    return {
        "launchTemplate": found[0].get("LaunchTemplateId"),
        "version": found[0].get("VersionNumber"),
        "customAmi": bool(data.get("ImageId")),
        "settings": kubelet_settings(user_data) if user_data else {},
    }
