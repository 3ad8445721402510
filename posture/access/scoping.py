"""Team scoping: the one place that decides which accounts a user may see.

A user belongs to a team through a Django group named ``team:<name>``.
Admins see everything; everyone else sees the accounts of their teams and
the accounts no team owns (shared). Every query for accounts or what hangs
off them (scans, resources, findings, events, mutes, compliance, exports)
goes through :func:`scope`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from posture.access.roles import Role, group_names, role_of

TEAM_PREFIX = "team:"


def user_teams(user: Any) -> set[str] | None:
    """The user's teams, or None for "every account" (admins)."""
    if role_of(user) >= Role.ADMIN:
        return None
    return {n[len(TEAM_PREFIX) :] for n in group_names(user) if n.startswith(TEAM_PREFIX)}


def account_filter(user: Any, path: str = "") -> Q | None:
    """A Q over ``<path>team`` selecting what the user may see; None where nothing is hidden."""
    teams = user_teams(user)
    if teams is None:
        return None
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}team": ""}) | Q(**{f"{prefix}team__in": sorted(teams)})


def scope(queryset: QuerySet, user: Any, account_path: str = "account") -> QuerySet:
    """``queryset`` narrowed to what ``user`` may see; ``account_path`` leads from its model to CloudAccount."""
    q = account_filter(user, account_path)
    return queryset if q is None else queryset.filter(q)


def can_see(user: Any, account: Any) -> bool:
    teams = user_teams(user)
    return teams is None or account.team == "" or account.team in teams
