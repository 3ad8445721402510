"""What a kubeconfig may ask of the Posture server before the Kubernetes client sees it.

The client would read any file a kubeconfig names (``tokenFile``, ``client-key`` ...), run any
``exec`` or ``auth-provider`` command, and connect to any ``server``. So every entry is checked
against an allow-list of fields first: inline data always; file fields only under a policy that
allows server files (the operator, at the command line); plugins only for a command line in the
policy's exec allow-list; and the chosen context's server through the policy's URL check. Every
refusal names the field (``users[0].user.tokenFile``) and never reads what it points to.
"""

from __future__ import annotations

from typing import Any

from collectors.records import CredentialPolicy
from collectors.registry import InvalidCredentials

TOP_FIELDS = {"apiVersion", "kind", "clusters", "users", "contexts", "current-context", "preferences", "extensions"}
INLINE_FIELDS = {
    "cluster": {
        "server",
        "certificate-authority-data",
        "insecure-skip-tls-verify",
        "tls-server-name",
        "disable-compression",
        "extensions",
    },
    "user": {"token", "client-certificate-data", "client-key-data", "username", "password", "extensions"},
    "context": {"cluster", "user", "namespace", "extensions"},
}
FILE_FIELDS = {"cluster": {"certificate-authority"}, "user": {"tokenFile", "client-certificate", "client-key"}}
PLUGIN_FIELDS = {"exec", "auth-provider"}
EXEC_FIELDS = {"command", "args", "env", "apiVersion", "installHint", "provideClusterInfo", "interactiveMode"}
OPERATOR_ONLY = "only the operator can set it, from the command line (manage.py accounts)"
ALLOWLIST = "POSTURE_KUBECONFIG_EXEC_ALLOWLIST"


class UnsafeKubeconfig(InvalidCredentials):
    """A kubeconfig field the policy refuses; the message names the field, never its target's content."""


def check_kubeconfig(data: dict[str, Any], context: str, policy: CredentialPolicy, where: str = "") -> None:
    """Raise :class:`UnsafeKubeconfig` for the first field ``policy`` does not allow, anywhere in ``data``."""
    prefix = f"{where}: " if where else ""
    try:
        _check_fields(data, TOP_FIELDS, "")
        for section, kind in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
            for index, entry in enumerate(data.get(section) or []):
                _check_entry(entry, kind, f"{section}[{index}]", policy)
        check_server(data, context, policy)
    except UnsafeKubeconfig as exc:
        raise UnsafeKubeconfig(f"{prefix}{exc}") from None


def _check_fields(mapping: Any, allowed: set[str], path: str) -> None:
    if not isinstance(mapping, dict):
        raise UnsafeKubeconfig(f"{path or 'the kubeconfig'} is not a mapping")
    unknown = sorted(str(key) for key in mapping if key not in allowed)
    if unknown:
        raise UnsafeKubeconfig(f"{_join(path, unknown[0])} is not a kubeconfig field Posture accepts")


def _check_entry(entry: Any, kind: str, path: str, policy: CredentialPolicy) -> None:
    _check_fields(entry, {"name", kind}, path)
    body = entry.get(kind) or {}
    path = f"{path}.{kind}"
    allowed = INLINE_FIELDS[kind] | FILE_FIELDS.get(kind, set()) | (PLUGIN_FIELDS if kind == "user" else set())
    _check_fields(body, allowed, path)
    for name in sorted(FILE_FIELDS.get(kind, set()) & set(body)):
        if not policy.server_files:
            raise UnsafeKubeconfig(f"{path}.{name} names a file on the Posture server: {OPERATOR_ONLY}")
    if "exec" in body:
        _check_exec(body["exec"], f"{path}.exec", policy)
    if "auth-provider" in body:
        _check_auth_provider(body["auth-provider"], f"{path}.auth-provider", policy)


def _check_exec(spec: Any, path: str, policy: CredentialPolicy) -> None:
    _plugin_allowed(path, policy)
    _check_fields(spec, EXEC_FIELDS, path)
    args = spec.get("args") or []
    if not isinstance(args, list):
        raise UnsafeKubeconfig(f"{path}.args is not a list")
    _command_allowed([str(spec.get("command") or ""), *map(str, args)], path, policy)


def _check_auth_provider(spec: Any, path: str, policy: CredentialPolicy) -> None:
    _plugin_allowed(path, policy)
    if not isinstance(spec, dict) or not isinstance(spec.get("config") or {}, dict):
        raise UnsafeKubeconfig(f"{path} is not a mapping with a config mapping")
    name = str(spec.get("name") or "")
    if (f"auth-provider:{name}",) not in policy.exec_allowlist:
        raise UnsafeKubeconfig(f"{path} {name!r} is not in {ALLOWLIST} (add auth-provider:{name} there)")
    config = spec.get("config") or {}
    if config.get("cmd-path"):
        command = str(config["cmd-path"]).split() + str(config.get("cmd-args") or "").split()
        _command_allowed(command, f"{path}.config.cmd-path", policy)
    if config.get("idp-issuer-url") and policy.check_url is not None:
        _check_url(str(config["idp-issuer-url"]), f"{path}.config.idp-issuer-url", policy)


def _plugin_allowed(path: str, policy: CredentialPolicy) -> None:
    if not policy.server_files or not policy.exec_allowlist:
        raise UnsafeKubeconfig(
            f"{path} runs a command on the Posture server: {OPERATOR_ONLY}, for a command listed in {ALLOWLIST}"
        )


def _command_allowed(command: list[str], path: str, policy: CredentialPolicy) -> None:
    if not any(command_matches(entry, command) for entry in policy.exec_allowlist):
        raise UnsafeKubeconfig(f"{path} {' '.join(command)!r} is not a command line listed in {ALLOWLIST}")


def command_matches(entry: tuple[str, ...], command: list[str]) -> bool:
    """Whether ``command`` is the allow-list ``entry``: the same words, ``*`` standing for one non-option word."""
    if len(entry) != len(command) or entry[0] == "*":
        return False
    return all(
        want == got or (want == "*" and bool(got) and not got.startswith("-"))
        for want, got in zip(entry, command, strict=True)
    )


def check_server(data: dict[str, Any], context: str, policy: CredentialPolicy) -> None:
    """The chosen context's cluster ``server`` through the policy's outbound URL check."""
    if policy.check_url is None:
        return
    contexts = {c.get("name"): c.get("context") or {} for c in data.get("contexts") or []}
    cluster_name = (contexts.get(context) or {}).get("cluster")
    for index, entry in enumerate(data.get("clusters") or []):
        if entry.get("name") == cluster_name:
            server = str((entry.get("cluster") or {}).get("server") or "")
            _check_url(server, f"clusters[{index}].cluster.server", policy)


def _check_url(url: str, path: str, policy: CredentialPolicy) -> None:
    assert policy.check_url is not None
    try:
        policy.check_url(url)
    except ValueError as exc:
        raise UnsafeKubeconfig(f"{path}: {exc}") from None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
