"""The two planes beside Resource Manager that the ARM emulator also serves: Key Vault's data plane and
Microsoft Graph, on the same base URL (as Posture reaches them under an endpoint override).

- ``GET /keyvault/{vault}/keys|secrets|certificates``: the vault's listings (``{"value", "nextLink"}``, items
  with their ``attributes``); ``GET .../keys/{name}/rotationpolicy`` and ``.../certificates/{name}/policy``;
  a vault whose estate entry says ``"refuse": "firewall"`` answers 403 ``Forbidden`` with the
  ``ForbiddenByFirewall`` inner error, ``"refuse": "denied"`` 403 without it (no data-plane grant);
- ``GET /graph/{v1.0|beta}/{path}``: a Graph object, or a listing (``{"value", "@odata.nextLink"}``); a path
  listed under ``"denied"`` answers 403 ``Authorization_RequestDenied``, as Graph does to a token without the
  permission.

The estate holds them as ``estate["vault_data"][vault name]`` (``keys``, ``secrets``, ``certificates``,
``rotation_policies`` and ``certificate_policies`` by object name) and ``estate["graph"]`` (path -> body or list;
``denied``), built by :mod:`emulators.azure.estate_identity`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

VAULT_PREFIX = "/keyvault/"
GRAPH_PREFIX = "/graph/"


def serves(path: str) -> bool:
    lowered = path.lower()
    return lowered.startswith(VAULT_PREFIX) or lowered.startswith(GRAPH_PREFIX)


def answer(
    planes: dict[str, Any], path: str, query: dict[str, list[str]], host: str, page_size: int
) -> tuple[int, Any]:
    if path.lower().startswith(GRAPH_PREFIX):
        return _graph(planes.get("graph") or {}, path, query, host, page_size)
    return _vault(planes.get("vault_data") or {}, path, query, host, page_size)


def _page(items: list[Any], path: str, query: dict[str, list[str]], host: str, size: int, key: str) -> dict[str, Any]:
    start = int(query.get("$skiptoken", ["0"])[0] or 0)
    page: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        rest = {k: v[0] for k, v in query.items() if k != "$skiptoken"}
        rest["$skiptoken"] = str(start + size)
        page[key] = f"http://{host}{path}?{urlencode(rest)}"
    return page


def _vault_error(code: str, message: str, inner: str = "") -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner}
    return {"error": error}


def _vault(vaults: dict[str, Any], path: str, query: dict[str, list[str]], host: str, size: int) -> tuple[int, Any]:
    parts = path.strip("/").split("/")  # keyvault, vault, kind[, name, detail]
    vault = vaults.get(parts[1].lower()) if len(parts) > 2 else None
    if vault is None:
        return 404, _vault_error("NotFound", "No such vault.")
    if vault.get("refuse") == "firewall":
        return 403, _vault_error(
            "Forbidden",
            "Client address is not authorized and caller is not a trusted service.",
            "ForbiddenByFirewall",
        )
    if vault.get("refuse"):
        return 403, _vault_error("Forbidden", "Caller is not authorized to perform action on resource.")
    kind, rest = parts[2].lower(), [p.lower() for p in parts[3:]]
    if kind in ("keys", "secrets", "certificates") and not rest:
        return 200, _page(list(vault.get(kind) or []), path, query, host, size, "nextLink")
    details = {("keys", "rotationpolicy"): "rotation_policies", ("certificates", "policy"): "certificate_policies"}
    if len(rest) == 2 and (kind, rest[1]) in details:
        found = (vault.get(details[(kind, rest[1])]) or {}).get(rest[0])
        if found is not None:
            return 200, found
        return 404, _vault_error(
            "KeyNotFound" if kind == "keys" else "CertificateNotFound",
            f"A {kind[:-1]} with (name/id) {rest[0]} was not found",
        )
    return 404, _vault_error("NotFound", f"The emulator does not serve {path}.")


def _filtered(items: list[Any], query: dict[str, list[str]]) -> list[Any] | None:
    """Graph's ``$filter=PROPERTY eq VALUE`` (true, false or a quoted string), the one form Posture sends."""
    expression = query.get("$filter", [""])[0].strip()
    if not expression:
        return items
    name, op, value = [*expression.split(" ", 2), "", ""][:3]
    if op != "eq":
        return None  # not a filter Posture sends
    wanted: Any = {"true": True, "false": False}.get(value, value.strip("'"))
    return [item for item in items if isinstance(item, dict) and item.get(name) == wanted]


def _graph(graph: dict[str, Any], path: str, query: dict[str, list[str]], host: str, size: int) -> tuple[int, Any]:
    key = "/" + path.strip("/").split("/", 1)[1]  # /v1.0/policies/...
    if key.lower() in {d.lower() for d in graph.get("denied") or ()}:
        return 403, {
            "error": {
                "code": "Authorization_RequestDenied",
                "message": "Insufficient privileges to complete the operation.",
                "innerError": {"request-id": "00000000-0000-0000-0000-000000000000"},
            }
        }
    body = next((v for k, v in graph.items() if k.lower() == key.lower()), None)
    if body is None:
        return 404, {"error": {"code": "Request_ResourceNotFound", "message": f"Resource '{key}' does not exist."}}
    if isinstance(body, list):
        items = _filtered(body, query)
        if items is None:
            return 400, {"error": {"code": "Request_UnsupportedQuery", "message": "Unsupported query."}}
        return 200, _page(items, path, query, host, size, "@odata.nextLink")
    return 200, body
