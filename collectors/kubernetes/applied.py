"""Live spec against the ``kubectl apply`` copy (``kubectl.kubernetes.io/last-applied-configuration``).

The applied copy may hold secrets (a literal password in an env value), so it is never stored: the
collector compares it with the live object here and keeps only the *paths* that differ. The live values
at those paths are in the (redacted) config already; the applied values are not kept at all.

Only what the applied copy sets is compared: the API server fills defaults (``imagePullPolicy``,
``terminationMessagePath``, a rollout ``strategy``) that the applied copy never had, and those are not drift.
"""

from __future__ import annotations

import json
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Owned by someone else on purpose: an autoscaler sets replicas, and kubectl scale is routine.
IGNORED_PATHS = frozenset({"spec.replicas"})
MAX_PATHS = 50


def last_applied_drift(obj: dict[str, Any]) -> dict[str, Any] | None:
    """``{"fields": [dotted paths where the live object differs from the applied copy]}``; None without a copy,
    ``{"error": ...}`` when the copy is not a JSON object."""
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        applied = json.loads(raw)
    except ValueError:
        return {"error": "the last-applied configuration is not valid JSON"}
    if not isinstance(applied, dict):
        return {"error": "the last-applied configuration is not an object"}
    paths = differing_paths(applied.get("spec"), obj.get("spec"), "spec")
    labels = (applied.get("metadata") or {}).get("labels")
    if labels is not None:
        paths += differing_paths(labels, (obj.get("metadata") or {}).get("labels"), "metadata.labels")
    paths = [p for p in paths if p not in IGNORED_PATHS]
    return {"fields": paths[:MAX_PATHS], "count": len(paths)}


def differing_paths(applied: Any, live: Any, prefix: str) -> list[str]:
    """Paths under ``prefix`` that the applied copy sets and the live object holds otherwise (or not at all)."""
    if isinstance(applied, dict):
        if not isinstance(live, dict):
            return [prefix]
        found: list[str] = []
        for key, value in applied.items():
            found += differing_paths(value, live.get(key), f"{prefix}.{key}")
        return found
    if isinstance(applied, list):
        if not isinstance(live, list) or len(live) != len(applied):
            return [prefix]
        found = []
        for index, (a, b) in enumerate(zip(applied, live, strict=True)):
            found += differing_paths(a, b, f"{prefix}.{index}")
        return found
    return [] if applied == live or applied is None else [prefix]
