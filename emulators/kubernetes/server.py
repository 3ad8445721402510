"""A local Kubernetes API emulator: discovery, list endpoints with ``limit``/``continue``, metadata-only lists.

It serves what the real client and ``kubectl get`` need: ``/version``,
``/api``, ``/apis`` and their resource lists, and list/get answers whose
bodies carry ``kind``, ``apiVersion``, ``metadata`` (``continue`` for paging,
``resourceVersion``) and ``items``. Objects come from an :class:`Estate`.
A bearer token is required when one is set, or one a reviewer accepts (an EKS
token, a cloud access token: see :mod:`emulators.kubernetes.cloud_auth`);
``fail`` maps a resource plural to an HTTP status (or ``"junk"``) to test how
a scan copes.

RBAC is opt-in: a token in ``service_accounts`` (token -> ``namespace:name``) proves that service
account, and its requests are authorized as the API server would, from the estate's ClusterRoleBindings
naming it and their ClusterRoles' rules (verb ``get`` or ``list``, API group, resource, resourceNames);
discovery and ``/version`` stay open to every authenticated user, as the default
``system:discovery`` and ``system:public-info-viewer`` bindings keep them. A refusal is the API server's
403 ``Forbidden`` Status. The static token and reviewed tokens stay unrestricted.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

from emulators.kubernetes.cloud_auth import Refused
from emulators.kubernetes.estate import RESOURCES, Estate, ResourceKind
from emulators.kubernetes.tls import TlsMaterial

LIST_PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[a-z]+)(?:/(?P<name>[^/]+))?$"
)
CONFIGZ_PATH = re.compile(r"^/api/v1/nodes/(?P<node>[^/]+)/proxy/configz$")
METADATA_ONLY = "as=PartialObjectMetadataList"
SERVICE_ACCOUNT_USER = "system:serviceaccount:"
SHORT_NAMES = {
    "namespaces": ["ns"],
    "nodes": ["no"],
    "pods": ["po"],
    "serviceaccounts": ["sa"],
    "services": ["svc"],
    "configmaps": ["cm"],
    "deployments": ["deploy"],
    "replicasets": ["rs"],
    "daemonsets": ["ds"],
    "statefulsets": ["sts"],
    "cronjobs": ["cj"],
    "networkpolicies": ["netpol"],
    "ingresses": ["ing"],
}


def _grants(rule: dict[str, Any], verb: str, kind: ResourceKind, name: str) -> bool:
    """One PolicyRule's answer: every list must name the request's value (or ``*``); resourceNames limits names."""
    return (
        _names(rule.get("verbs"), verb)
        and _names(rule.get("apiGroups"), kind.group)
        and _names(rule.get("resources"), kind.plural)
        and (not rule.get("resourceNames") or name in rule["resourceNames"])
    )


def _names(values: Any, wanted: str) -> bool:
    return isinstance(values, list) and (wanted in values or "*" in values)


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class KubernetesEmulator:
    """Start with :meth:`start` (a free port on 127.0.0.1), stop with :meth:`stop`."""

    def __init__(
        self,
        estate: Estate,
        token: str = "emulator-token",
        port: int = 0,
        tls: TlsMaterial | None = None,
        reviewers: list[Callable[[str], str | None]] | None = None,
        service_accounts: dict[str, str] | None = None,
    ) -> None:
        self.estate = estate
        self.token = token
        self.service_accounts = dict(service_accounts or {})  # token -> "namespace:name", authorized by RBAC
        self.forbidden: list[str] = []  # "verb resource.group" of every request RBAC refused
        self.tls = tls
        self.reviewers = list(reviewers or [])  # token -> user name, None (not theirs), or raise Refused
        self.authenticated: list[str] = []  # the user of every accepted request
        self.refusals: list[str] = []  # why each refused request was refused
        self.fail: dict[str, int | str] = {}
        self.requests: list[str] = []
        self.metadata_only_requests: list[str] = []
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                authorization = self.headers.get("Authorization", "")
                certified = emulator.tls is not None and bool(self.connection.getpeercert())  # signed by the CA
                code, body = emulator.answer(self.path, authorization, self.headers, certified)
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.server_context().wrap_socket(self._server.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> KubernetesEmulator:
        self._thread = threading.Thread(target=self._server.serve_forever, name="k8s-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> KubernetesEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def kubeconfig(self, context: str = "emulator", client_certificate: bool = False) -> dict[str, Any]:
        """A kubeconfig for this emulator: bearer token, or (TLS only) a client certificate."""
        cluster: dict[str, Any] = {"server": self.url}
        user: dict[str, Any] = {"token": self.token} if self.token else {}
        if self.tls is not None:
            cluster["certificate-authority-data"] = self.tls.b64(self.tls.ca_pem)
            if client_certificate:
                user = {
                    "client-certificate-data": self.tls.b64(self.tls.client_cert_pem),
                    "client-key-data": self.tls.b64(self.tls.client_key_pem),
                }
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": f"{context}-user", "user": user}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": f"{context}-user"}}],
            "current-context": context,
        }

    def write_kubeconfig(self, path: Path, context: str = "emulator") -> Path:
        path.write_text(yaml.safe_dump(self.kubeconfig(context)))
        return path

    # -- request handling ---------------------------------------------------------------

    def answer(
        self, raw_path: str, authorization: str, headers: Any = None, client_certificate: bool = False
    ) -> tuple[int, Any]:
        url = urlparse(raw_path)
        self.requests.append(raw_path)
        user = ""
        if client_certificate:
            self.authenticated.append("posture-scanner")
        elif self.token or self.reviewers or self.service_accounts:
            user = self.authenticate(authorization)
            if not user:
                return 401, _status(401, "Unauthorized", "Unauthorized")
        if url.path.rstrip("/") == "/version":
            return 200, self.estate.version
        if url.path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if url.path == "/apis":
            return 200, self._group_list()
        discovery = self._resource_list(url.path)
        if discovery is not None:
            return 200, discovery
        configz = CONFIGZ_PATH.match(url.path)
        if configz:
            return self._configz(configz.group("node"))
        match = LIST_PATH.match(url.path)
        kind = self._kind_for(match)
        if match is None or kind is None:
            return 404, _status(404, "NotFound", f"the server could not find the requested resource ({url.path})")
        if user.startswith(SERVICE_ACCOUNT_USER):
            verb = "get" if match.group("name") else "list"
            if not self.authorized(user, verb, kind, match.group("name") or ""):
                return 403, self._forbidden(user, verb, kind, match.group("ns") or "")
        failure = self.fail.get(kind.plural)
        if failure == "junk":
            return 200, b"<html>gateway says no</html>"
        if isinstance(failure, int):
            return failure, _status(failure, "Forbidden" if failure == 403 else "InternalError", "injected failure")
        accept = (headers.get("Accept", "") if headers is not None else "") or ""
        query = parse_qs(url.query)
        if match.group("name"):
            return self._get(kind, match.group("ns") or "", match.group("name"))
        if METADATA_ONLY in accept:
            self.metadata_only_requests.append(url.path)
        return 200, self._list(kind, match.group("ns"), query, METADATA_ONLY in accept)

    def authenticate(self, authorization: str) -> str:
        """The user a request's ``Authorization`` header proves, or '' (the reason lands in ``refusals``)."""
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            self.refusals.append("no bearer token")
            return ""
        if self.token and token == self.token:
            user = "emulator-admin"
        elif token in self.service_accounts:
            user = SERVICE_ACCOUNT_USER + self.service_accounts[token]
        else:
            user = ""
            for review in self.reviewers:
                try:
                    user = review(token) or ""
                except Refused as exc:
                    self.refusals.append(str(exc))
                    return ""
                if user:
                    break
        if not user:
            self.refusals.append("unknown bearer token")
            return ""
        self.authenticated.append(user)
        return user

    def authorized(self, user: str, verb: str, kind: ResourceKind, name: str) -> bool:
        """Whether a ClusterRoleBinding naming the service account ``user`` grants ``verb`` on ``kind``."""
        namespace, _, account = user.removeprefix(SERVICE_ACCOUNT_USER).partition(":")
        roles = {role["metadata"]["name"]: role for role in self.estate.objects("ClusterRole")}
        for binding in self.estate.objects("ClusterRoleBinding"):
            subjects = binding.get("subjects") or []
            if not any(
                s.get("kind") == "ServiceAccount" and s.get("name") == account and s.get("namespace") == namespace
                for s in subjects
            ):
                continue
            role = roles.get((binding.get("roleRef") or {}).get("name", ""))
            if role and any(_grants(rule, verb, kind, name) for rule in role.get("rules") or []):
                return True
        return False

    def _forbidden(self, user: str, verb: str, kind: ResourceKind, namespace: str) -> dict[str, Any]:
        resource = f"{kind.plural}.{kind.group}" if kind.group else kind.plural
        self.forbidden.append(f"{verb} {resource}")
        where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        message = (
            f'{resource} is forbidden: User "{user}" cannot {verb} resource "{kind.plural}" '
            f'in API group "{kind.group}" {where}'
        )
        return {**_status(403, "Forbidden", message), "details": {"group": kind.group, "kind": kind.plural}}

    def _kind_for(self, match: re.Match | None) -> ResourceKind | None:
        if match is None:
            return None
        group = "" if match.group("core") else match.group("group")
        version = match.group("core") or match.group("version")
        for kind in RESOURCES:
            if (kind.group, kind.version, kind.plural) == (group, version, match.group("plural")):
                if match.group("ns") and not kind.namespaced:
                    return None
                return kind
        return None

    def _configz(self, node: str) -> tuple[int, Any]:
        """The node's kubelet configuration through the node proxy (``fail["nodes/proxy"]`` refuses it)."""
        failure = self.fail.get("nodes/proxy")
        if isinstance(failure, int):
            return failure, _status(failure, "Forbidden" if failure == 403 else "InternalError", "injected failure")
        if failure == "junk":
            return 200, b"<html>gateway says no</html>"
        if node not in self.estate.kubelet_configs:
            return 404, _status(404, "NotFound", f'nodes "{node}" not found')
        return 200, self.estate.kubelet_configs[node]

    def _get(self, kind: ResourceKind, namespace: str, name: str) -> tuple[int, Any]:
        for obj in self.estate.objects(kind.kind):
            metadata = obj["metadata"]
            if metadata["name"] == name and metadata.get("namespace", "") == namespace:
                return 200, {"apiVersion": kind.api_version, "kind": kind.kind, **obj}
        return 404, _status(404, "NotFound", f'{kind.plural} "{name}" not found')

    def _list(self, kind: ResourceKind, namespace: str | None, query: dict[str, list[str]], metadata_only: bool) -> Any:
        objects: Iterable[dict] = self.estate.objects(kind.kind)
        if namespace:
            objects = [o for o in objects if o["metadata"].get("namespace") == namespace]
        objects = list(objects)
        limit = int(query.get("limit", ["0"])[0] or 0)
        start = int(base64.urlsafe_b64decode(query["continue"][0]).decode()) if query.get("continue") else 0
        end = len(objects) if limit <= 0 else min(len(objects), start + limit)
        page = objects[start:end]
        metadata: dict[str, Any] = {"resourceVersion": str(self.estate.resource_version)}
        if end < len(objects):
            metadata["continue"] = base64.urlsafe_b64encode(str(end).encode()).decode()
            metadata["remainingItemCount"] = len(objects) - end
        if metadata_only:
            items = [
                {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": o["metadata"]}
                for o in page
            ]
            return {
                "apiVersion": "meta.k8s.io/v1",
                "kind": "PartialObjectMetadataList",
                "metadata": metadata,
                "items": items,
            }
        return {"apiVersion": kind.api_version, "kind": f"{kind.kind}List", "metadata": metadata, "items": page}

    def _group_list(self) -> dict[str, Any]:
        groups: dict[str, list[str]] = {}
        for kind in RESOURCES:
            if kind.group and kind.version not in groups.setdefault(kind.group, []):
                groups[kind.group].append(kind.version)
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [
                {
                    "name": name,
                    "versions": [{"groupVersion": f"{name}/{v}", "version": v} for v in versions],
                    "preferredVersion": {"groupVersion": f"{name}/{versions[0]}", "version": versions[0]},
                }
                for name, versions in groups.items()
            ],
        }

    def _resource_list(self, path: str) -> dict[str, Any] | None:
        match = re.match(r"^/(?:api/(v1)|apis/([^/]+)/([^/]+))/?$", path)
        if match is None:
            return None
        group, version = ("", "v1") if match.group(1) else (match.group(2), match.group(3))
        kinds = [k for k in RESOURCES if (k.group, k.version) == (group, version)]
        if not kinds:
            return None
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": [
                {
                    "name": k.plural,
                    "singularName": k.kind.lower(),
                    "namespaced": k.namespaced,
                    "kind": k.kind,
                    "verbs": ["get", "list"],
                    **({"shortNames": SHORT_NAMES[k.plural]} if k.plural in SHORT_NAMES else {}),
                }
                for k in kinds
            ],
        }
