"""From an identity provider's claims to Posture's role and teams: pure functions, no database.

Imported by ``posture/settings.py`` to check the group maps at start-up, so it imports nothing of
Django but the configuration error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# The role groups, lowest first (as posture.access.roles.ROLE_NAMES; a test keeps them equal).
ROLES = ("viewer", "analyst", "admin")
TEAM_NAME_MAX = 140  # a Group name holds 150 characters, "team:" included


def parse_group_map(name: str, raw: str, values: tuple[str, ...] | None = None) -> dict[str, str]:
    """``idp-group=value,other=value`` as a dict; a malformed entry stops start-up naming ``name``."""
    mapping: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        group, sep, value = (s.strip() for s in item.rpartition("="))
        if not sep or not group or not value:
            raise ImproperlyConfigured(f"{name}: {item!r} is not group=value")
        if values is not None and value not in values:
            raise ImproperlyConfigured(f"{name}: {item!r} maps to {value!r}, not one of {', '.join(values)}")
        if values is None and (len(value) > TEAM_NAME_MAX or "," in value):
            raise ImproperlyConfigured(f"{name}: team name {value!r} is too long")
        mapping[group] = value
    return mapping


@dataclass(frozen=True)
class GroupMapping:
    """How IdP groups become a role and teams: explicit maps, plus groups carrying a team prefix."""

    roles: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    team_prefix: str = ""


def claimed_groups(claims: dict[str, Any], claim: str) -> list[str]:
    """The group names in ``claim`` (a dotted path such as ``realm_access.roles`` reaches into objects).

    A list of strings, or one string of space- or comma-separated names; anything else is no group.
    """
    value: Any = claims
    for key in claim.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, str):
        return [g for g in value.replace(",", " ").split() if g]
    if isinstance(value, list):
        return [g for g in value if isinstance(g, str) and g]
    return []


def map_groups(groups: list[str], mapping: GroupMapping) -> tuple[str | None, set[str]]:
    """The highest role the groups map to (None: no role) and the set of team names."""
    ranks = [ROLES.index(mapping.roles[g]) for g in groups if g in mapping.roles]
    role = ROLES[max(ranks)] if ranks else None
    teams = {mapping.teams[g] for g in groups if g in mapping.teams}
    if mapping.team_prefix:
        for g in groups:
            team = g[len(mapping.team_prefix) :].strip() if g.startswith(mapping.team_prefix) else ""
            if team and len(team) <= TEAM_NAME_MAX:
                teams.add(team)
    return role, teams
