"""Azure Resource Graph for the ARM emulator, answered from the same resources it serves per service.

``POST /providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01`` with
``{"subscriptions": [...], "query": "Resources | where type in~ ('a', 'b')", "options": {"$top", "$skipToken",
"resultFormat": "objectArray"}}`` answers ``{"totalRecords", "count", "data": [row...], "facets": [],
"resultTruncated": "false", "$skipToken"?}``. A row carries the Resources table's columns: ``id``, ``name``,
``type`` (lower case), ``tenantId``, ``kind``, ``location``, ``resourceGroup``, ``subscriptionId``,
``managedBy``, ``sku``, ``plan``, ``properties``, ``tags``, ``identity``, ``zones``, ``extendedLocation``
(null or "" when the resource has none). Only the ``where type in~ (...)`` / ``where type =~ '...'`` forms
the collectors send are understood; anything else is a 400 ``BadRequest``, as an invalid query is.
"""

from __future__ import annotations

import re
from typing import Any

TYPES_IN = re.compile(r"^\s*resources\s*\|\s*where\s+type\s+in~\s*\((?P<types>[^)]*)\)\s*$", re.IGNORECASE)
TYPE_IS = re.compile(r"^\s*resources\s*\|\s*where\s+type\s*=~\s*'(?P<type>[^']*)'\s*$", re.IGNORECASE)
STRING_COLUMNS = ("kind", "managedBy")
OBJECT_COLUMNS = ("sku", "plan", "tags", "identity", "zones", "extendedLocation")
MAX_TOP = 1000


def wanted_types(query: str) -> set[str] | None:
    """The lower-case types a query asks for, or None for a query the emulator does not understand."""
    match = TYPES_IN.match(query or "")
    if match:
        names = [n.strip() for n in match.group("types").split(",")]
        if not all(len(n) > 1 and n[0] == n[-1] == "'" for n in names):
            return None
        return {n[1:-1].lower() for n in names}
    match = TYPE_IS.match(query or "")
    return {match.group("type").lower()} if match else None


def row(resource: dict[str, Any], resource_type: str, tenant: str) -> dict[str, Any]:
    """One Resources-table row for an ARM resource."""
    parts = resource["id"].split("/")
    lowered = [p.lower() for p in parts]
    group = parts[lowered.index("resourcegroups") + 1].lower() if "resourcegroups" in lowered else ""
    found: dict[str, Any] = {
        "id": resource["id"],
        "name": resource.get("name"),
        "type": resource_type,
        "tenantId": tenant,
        "location": resource.get("location"),
        "resourceGroup": group,
        "subscriptionId": parts[2],
        "properties": resource.get("properties"),
    }
    found.update({c: resource.get(c) or "" for c in STRING_COLUMNS})
    found.update({c: resource.get(c) for c in OBJECT_COLUMNS})
    return found


def bad_request(message: str) -> tuple[int, dict[str, Any]]:
    return 400, {
        "error": {
            "code": "BadRequest",
            "message": "Please provide below info when asking for support: timestamp = ..., correlationId = ....",
            "details": [{"code": "InvalidQuery", "message": message}],
        }
    }


def answer(
    resources: list[dict[str, Any]], subscriptions: list[dict[str, Any]], body: Any, type_of: Any
) -> tuple[int, dict[str, Any]]:
    """The status and body of a Resource Graph query over ``resources``; ``type_of(id)`` is a resource's type."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return bad_request("The request has no query.")
    types = wanted_types(body["query"])
    if types is None:
        return bad_request(f"The emulator does not understand the query {body['query']!r}.")
    options = body.get("options") or {}
    known = {str(s["subscriptionId"]).lower(): s.get("tenantId", "") for s in subscriptions}
    asked = [str(s).lower() for s in body.get("subscriptions") or known]
    rows = [
        row(r, type_of(r["id"]), known[sub])
        for r in resources
        if r["id"].lower().startswith("/subscriptions/")
        and (sub := r["id"].split("/")[2].lower()) in asked
        and sub in known
        and type_of(r["id"]) in types
    ]
    top = min(int(options.get("$top") or 100), MAX_TOP)
    start = int(options.get("$skipToken") or options.get("$skip") or 0)
    page = rows[start : start + top]
    answered: dict[str, Any] = {
        "totalRecords": len(rows),
        "count": len(page),
        "data": page,
        "facets": [],
        "resultTruncated": "false",
    }
    if start + top < len(rows):
        answered["$skipToken"] = str(start + top)
    return 200, answered
