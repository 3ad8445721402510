"""A local Azure Resource Manager emulator: the list and get endpoints Posture's collectors call.

It serves an estate (see :mod:`emulators.azure.estate`) the way ARM does:

- ``GET /subscriptions`` and ``GET /subscriptions/{id}``;
- ``GET /subscriptions/{id}/providers/{Namespace}/{type}``: every resource of that type
  in the subscription, at any scope (role assignments at resource-group scope included);
- ``GET /subscriptions/{id}/resources``: the generic listing (id, name, type, location, kind, sku, tags),
  narrowed by ``$filter=resourceType eq 'Namespace/type'``;
- ``GET {resource id}``: one resource; ``GET {parent id}/{child type}``: its children
  (agent pools, blob containers, flow logs, diagnostic settings of any scope);
- ``GET /subscriptions/{id}/providers/Microsoft.Security/subAssessments``: every security sub-assessment
  (``.../providers/Microsoft.Security/assessments/{key}/subAssessments/{name}``) in the subscription;
- list bodies ``{"value": [...], "nextLink": "..."}``, paged by ``page_size``;
- any ``api-version``; ``$filter=type eq 'CustomRole'`` on role definitions;
- ARM error bodies ``{"error": {"code", "message"}}``: 404 for an unknown type or resource,
  401 without the expected bearer token.

- ``POST /providers/Microsoft.ResourceGraph/resources``: a Resource Graph query over the same resources
  (:mod:`emulators.azure.resource_graph`);
- ``POST {managed cluster id}/listClusterUserCredential``: ``{"kubeconfigs": [{"name": "clusterUser",
  "value": <base64 kubeconfig>}]}`` for a cluster given one with :meth:`ArmEmulator.set_cluster_credential`
  (a cluster without one: 404, as a cluster still being created).

Key Vault's data plane (``/keyvault/{vault}/...``) and Microsoft Graph (``/graph/...``) are served beside it
(:mod:`emulators.azure.data_planes`).

Faults: :meth:`ArmEmulator.fail` makes one resource provider namespace answer 500 or 429
(with ``Retry-After``), for every request or for the next ``times`` requests.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from emulators.azure import data_planes, resource_graph

# Resource types (lowercase) the emulator knows; a collection of any other type is a 404, as in ARM.
KNOWN_TYPES = frozenset(
    {
        "microsoft.containerservice/managedclusters",
        "microsoft.containerservice/managedclusters/agentpools",
        "microsoft.storage/storageaccounts",
        "microsoft.storage/storageaccounts/blobservices",
        "microsoft.storage/storageaccounts/blobservices/containers",
        "microsoft.storage/storageaccounts/fileservices",
        "microsoft.network/networksecuritygroups",
        "microsoft.network/networkwatchers",
        "microsoft.network/networkwatchers/flowlogs",
        "microsoft.network/virtualnetworks",
        "microsoft.network/applicationgateways",
        "microsoft.network/applicationgatewaywebapplicationfirewallpolicies",
        "microsoft.network/bastionhosts",
        "microsoft.insights/activitylogalerts",
        "microsoft.insights/diagnosticsettings",
        "microsoft.authorization/roleassignments",
        "microsoft.authorization/roledefinitions",
        "microsoft.security/pricings",
        "microsoft.security/securitycontacts",
        "microsoft.keyvault/vaults",
        "microsoft.managedidentity/userassignedidentities",
        "microsoft.compute/virtualmachines",
        "microsoft.network/networkinterfaces",
        "microsoft.containerregistry/registries",
        "microsoft.security/assessments/subassessments",
        "microsoft.security/subassessments",
        "microsoft.security/settings",
        "microsoft.security/servervulnerabilityassessmentssettings",
        "microsoft.authorization/locks",
        "microsoft.insights/components",
        "microsoft.network/publicipaddresses",
        "microsoft.network/virtualnetworkgateways",
        "microsoft.authorization/policyassignments",
        "microsoft.security/iotsecuritysolutions",
        "microsoft.network/networksecurityperimeters",
        "microsoft.network/networksecurityperimeters/resourceassociations",
        "microsoft.databricks/workspaces",
        "microsoft.aadiam/diagnosticsettings",
        "microsoft.intune/diagnosticsettings",
    }
)
# What the generic resource listing (GET /subscriptions/{id}/resources) returns of each resource.
GENERIC_FIELDS = ("id", "name", "type", "location", "kind", "sku", "tags")
# Collections that list resources of another (nested) type: subscription-wide sub-assessments.
LISTS_OF = {"microsoft.security/subassessments": "microsoft.security/assessments/subassessments"}
# Lists the REST API answers in one body, without nextLink (azure-mgmt-security's PricingList).
UNPAGED_TYPES = frozenset({"microsoft.security/pricings"})
# Extension resources listed at exactly one scope, never subscription-wide.
SCOPE_EXACT_TYPES = frozenset({"microsoft.insights/diagnosticsettings"})


def resource_type(resource_id: str) -> str:
    """``Microsoft.Network/networkWatchers/flowLogs`` for ``.../networkWatchers/w/flowLogs/f`` (lowercase)."""
    lowered = resource_id.lower()
    _head, sep, tail = lowered.rpartition("/providers/")
    if not sep:
        return ""
    parts = tail.split("/")
    return "/".join([parts[0], *parts[1::2]])


def collection_type(path: str) -> str:
    """The type a collection path lists: ``.../providers/NS/type[/name/child]`` -> ``ns/type[/child]``."""
    _head, sep, tail = path.lower().rpartition("/providers/")
    if not sep:
        return ""
    parts = tail.split("/")
    return "/".join([parts[0], *parts[1::2]]) if len(parts) % 2 == 0 else ""


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    remaining: int | None = None  # None: every request
    junk: bool = False  # answer 200 with a body that is not JSON


class ArmEmulator:
    """An ARM endpoint on 127.0.0.1 serving ``estate``; ``start()`` returns its base URL."""

    def __init__(self, estate: dict[str, Any], *, token: str | None = None, page_size: int | None = None) -> None:
        self.token = token
        self.page_size = page_size or int(estate.get("page_size", 50))
        self.requests: list[tuple[str, str]] = []
        self._faults: dict[str, Fault] = {}
        self._cluster_credentials: dict[str, str] = {}  # managed cluster id (lowercase) -> kubeconfig YAML
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.load(estate)

    # -- estate -------------------------------------------------------------------------------

    def load(self, estate: dict[str, Any]) -> None:
        """Replace what is served (between scans of a demo, say)."""
        with self._lock:
            self.subscriptions = [dict(s) for s in estate.get("subscriptions", [])]
            self.resources = [dict(r) for r in estate.get("resources", [])]
            self._by_id = {r["id"].lower(): r for r in self.resources}
            self.data_planes = {"vault_data": estate.get("vault_data") or {}, "graph": estate.get("graph") or {}}
            for fault in estate.get("faults", []):
                self._faults[fault["namespace"].lower()] = Fault(
                    int(fault.get("status", 500)), fault.get("retry_after"), fault.get("times")
                )

    def fail(
        self,
        namespace: str,
        status: int = 500,
        *,
        retry_after: int | None = None,
        times: int | None = None,
        junk: bool = False,
    ) -> None:
        """Make requests to ``namespace`` (e.g. ``Microsoft.Security``) fail with ``status`` (or junk).

        A ``namespace`` with a slash (``/agentPools``) matches any request path containing it instead.
        """
        with self._lock:
            self._faults[namespace.lower()] = Fault(status, retry_after, times, junk)

    def heal(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_cluster_credential(self, cluster_id: str, kubeconfig_yaml: str) -> None:
        """What ``listClusterUserCredential`` hands out for ``cluster_id`` (a kubeconfig, as YAML text)."""
        with self._lock:
            self._cluster_credentials[cluster_id.lower()] = kubeconfig_yaml

    def cluster_credential(self, action_path: str) -> tuple[int, Any]:
        """The answer to ``POST {cluster id}/listClusterUserCredential``."""
        cluster_id = "/" + action_path.strip("/").rsplit("/", 1)[0].lower()
        if cluster_id not in self._by_id or resource_type(cluster_id) != "microsoft.containerservice/managedclusters":
            return 404, _error("ResourceNotFound", f"The Resource '{cluster_id}' was not found.")
        with self._lock:
            kubeconfig = self._cluster_credentials.get(cluster_id)
        if kubeconfig is None:
            return 404, _error("NotFound", "The cluster has no user credential yet.")
        value = base64.b64encode(kubeconfig.encode()).decode()
        return 200, {"kubeconfigs": [{"name": "clusterUser", "value": value}]}

    def resource_graph(self, raw: bytes) -> tuple[int, Any]:
        """The answer to a Resource Graph query, from the resources served per service (:mod:`.resource_graph`)."""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return resource_graph.bad_request("The request body is not JSON.")
        with self._lock:
            resources, subscriptions = list(self.resources), list(self.subscriptions)
        return resource_graph.answer(resources, subscriptions, body, resource_type)

    def requests_to(self, fragment: str) -> int:
        return sum(1 for _, path in self.requests if fragment.lower() in path.lower())

    # -- server -------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="arm-emulator", daemon=True
        )
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None, "the emulator is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ArmEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answering ----------------------------------------------------------------------------

    def fault_for(self, path: str) -> Fault | None:
        lowered = path.lower()
        namespace = "microsoft.resources"
        if "/providers/" in lowered:
            namespace = lowered.rpartition("/providers/")[2].split("/")[0]
        with self._lock:
            fault = self._faults.get(namespace)
            if fault is None:
                fault = next((f for key, f in self._faults.items() if "/" in key and key in lowered), None)
            if fault is None:
                return None
            if fault.remaining is not None:
                if fault.remaining <= 0:
                    return None
                fault.remaining -= 1
            return fault

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        path = "/" + path.strip("/")
        lowered = path.lower()
        parts = lowered.strip("/").split("/")
        if lowered == "/subscriptions":
            return 200, list(self.subscriptions)
        if len(parts) == 2 and parts[0] == "subscriptions":
            for sub in self.subscriptions:
                if sub["subscriptionId"].lower() == parts[1]:
                    return 200, sub
            return 404, _error("SubscriptionNotFound", f"The subscription '{parts[1]}' could not be found.")
        if parts[0] == "subscriptions" and not any(s["subscriptionId"].lower() == parts[1] for s in self.subscriptions):
            return 404, _error("SubscriptionNotFound", f"The subscription '{parts[1]}' could not be found.")
        if lowered in self._by_id:
            return 200, self._by_id[lowered]
        if len(parts) == 3 and parts[2] == "resources":
            return 200, self.generic_resources(parts[1], query.get("$filter", [""])[0])
        ctype = collection_type(lowered)
        if ctype not in KNOWN_TYPES:
            if ctype and resource_type(lowered) in KNOWN_TYPES:
                return 404, _error("ResourceNotFound", f"The Resource '{path}' was not found.")
            return 404, _error("InvalidResourceType", f"The resource type could not be found for '{path}'.")
        subscription_wide = (
            len(parts) == 5
            and parts[0] == "subscriptions"
            and parts[2] == "providers"
            and ctype not in SCOPE_EXACT_TYPES
        )
        if subscription_wide:
            prefix = f"/subscriptions/{parts[1]}/"
            listed = LISTS_OF.get(ctype, ctype)
            items = [
                r for r in self.resources if r["id"].lower().startswith(prefix) and resource_type(r["id"]) == listed
            ]
        else:
            items = [r for r in self.resources if r["id"].lower().rsplit("/", 1)[0] == lowered]
        wanted = _type_filter(query.get("$filter", [""])[0])
        if wanted:
            items = [r for r in items if str(r.get("properties", {}).get("type", "")).lower() == wanted]
        return 200, items

    def generic_resources(self, subscription_id: str, expression: str) -> list[dict[str, Any]]:
        """The generic listing: every resource of the subscription (``resourceType eq 'NS/type'`` narrows it)."""
        text = expression.strip()
        wanted = ""
        if text.lower().startswith("resourcetype eq '") and text.endswith("'"):
            wanted = text[len("resourceType eq '") : -1].lower()
        prefix = f"/subscriptions/{subscription_id}/"
        return [
            {k: r[k] for k in GENERIC_FIELDS if k in r}
            for r in self.resources
            if r["id"].lower().startswith(prefix) and (not wanted or resource_type(r["id"]) == wanted)
        ]


def _type_filter(expression: str) -> str:
    """``type eq 'CustomRole'`` -> ``customrole``; anything else is ignored."""
    text = expression.strip()
    if text.lower().startswith("type eq '") and text.endswith("'"):
        return text[len("type eq '") : -1].lower()
    return ""


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    emulator: ArmEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read self.emulator.requests
        pass

    def _accepted(self, method: str) -> dict[str, list[str]] | None:
        """The query, once the token and api-version are checked (else the error is sent, None returned)."""
        query = parse_qs(urlsplit(self.path).query)
        self.emulator.requests.append((method, self.path))
        expected = self.emulator.token
        if expected is not None and self.headers.get("Authorization", "") != f"Bearer {expected}":
            self._send(401, _error("InvalidAuthenticationToken", "The access token is invalid."))
            return None
        if "api-version" not in query and not urlsplit(self.path).path.lower().startswith(data_planes.GRAPH_PREFIX):
            self._send(400, _error("MissingApiVersionParameter", "The api-version query parameter is required."))
            return None
        return query

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self._accepted("POST") is None:
            return
        path = urlsplit(self.path).path
        fault = self.emulator.fault_for(path)
        if fault is not None:
            return self._send(
                fault.status, _error("AuthorizationFailed" if fault.status == 403 else "Failed", "simulated failure")
            )
        if path.lower().rstrip("/").endswith("/listclusterusercredential"):
            return self._send(*self.emulator.cluster_credential(path))
        if path.lower().rstrip("/") == "/providers/microsoft.resourcegraph/resources":
            return self._send(*self.emulator.resource_graph(raw))
        return self._send(404, _error("InvalidResourceType", f"The emulator does not serve POST {path}."))

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        query = self._accepted("GET")
        if query is None:
            return
        fault = self.emulator.fault_for(split.path)
        if fault is not None and fault.junk:
            return self._send_raw(200, b"<html>upstream proxy error</html>")
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            code = {429: "TooManyRequests", 403: "AuthorizationFailed"}.get(fault.status, "InternalServerError")
            return self._send(fault.status, _error(code, f"simulated failure ({fault.status})"), headers)
        if data_planes.serves(split.path):
            host = self.headers.get("Host", "")
            return self._send(
                *data_planes.answer(self.emulator.data_planes, split.path, query, host, self.emulator.page_size)
            )
        status, body = self.emulator.answer(split.path, query)
        if status == 200 and isinstance(body, list):
            if collection_type(split.path) in UNPAGED_TYPES:
                body = {"value": body}
            else:
                body = self._page(split.path, query, body)
        self._send(status, body)

    def _page(self, path: str, query: dict[str, list[str]], items: list[Any]) -> dict[str, Any]:
        start = int(query.get("$skiptoken", ["0"])[0] or 0)
        size = self.emulator.page_size
        page: dict[str, Any] = {"value": items[start : start + size]}
        if start + size < len(items):
            rest = {k: v[0] for k, v in query.items() if k != "$skiptoken"}
            rest["$skiptoken"] = str(start + size)
            page["nextLink"] = f"http://{self.headers.get('Host')}{path}?{urlencode(rest)}"
        return page

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(body).encode(), headers)

    def _send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", "00000000-0000-0000-0000-000000000000")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
