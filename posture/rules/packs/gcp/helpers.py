"""Small readers shared by the Google Cloud rules (no rules here)."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord

PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def project_of(resource: ResourceRecord) -> str:
    return str(resource.config.get("_project", ""))


def same_project(ctx: Any, type_: str, resource: ResourceRecord) -> list[ResourceRecord]:
    project = project_of(resource)
    return [r for r in ctx.resources(type_) if not project or project_of(r) == project]


def bindings(policy: Any) -> list[dict[str, Any]]:
    if not isinstance(policy, dict):
        return []
    return [b for b in policy.get("bindings") or [] if isinstance(b, dict)]


def roles_by_member(policy: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for binding in bindings(policy):
        for member in binding.get("members") or []:
            found.setdefault(str(member), set()).add(str(binding.get("role", "")))
    return found


def public_bindings(policy: Any) -> list[dict[str, Any]]:
    return [
        {"role": b.get("role"), "members": [m for m in b.get("members") or [] if m in PUBLIC_MEMBERS]}
        for b in bindings(policy)
        if any(m in PUBLIC_MEMBERS for m in b.get("members") or [])
    ]


def metadata_value(metadata: Any, key: str) -> str | None:
    """A compute metadata item's value ({items: [{key, value}]}), or None when absent."""
    if not isinstance(metadata, dict):
        return None
    for item in metadata.get("items") or []:
        if isinstance(item, dict) and str(item.get("key", "")).lower() == key:
            return str(item.get("value", ""))
    return None


def is_true(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def is_default_compute_sa(email: Any) -> bool:
    return str(email) == "default" or str(email).endswith("-compute@developer.gserviceaccount.com")


def resource_path(url: Any) -> str:
    """``projects/p/global/networks/n`` of a resource URL or self link (the part every form names alike)."""
    text = str(url or "")
    index = text.find("projects/")
    return text[index:].rstrip("/") if index >= 0 else text
