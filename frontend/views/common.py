"""What every page shares: role checks, the account scope, messages for bad input."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from posture.access.roles import Role, has_role, role_of
from posture.access.scoping import scope
from posture.inventory.models import CloudAccount

SEVERITIES = ("critical", "high", "medium", "low", "info")
MAX_PK = 2**63 - 1  # a larger id matches nothing (and must not overflow the database driver)


def require_role(role: Role) -> Callable:
    """The server-side check behind every button a role may not see."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, role):
                raise PermissionDenied(f"this needs the {role.label} role")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render with what the layout needs (the role, the section in the nav)."""
    role = role_of(request.user)
    context.setdefault("role", role)
    context["can_triage"] = role >= Role.ANALYST
    context["is_admin"] = role >= Role.ADMIN
    return render(request, template, context, status=status)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def pk_of(raw: str | None) -> int | None:
    """A primary key from a form or query value; None for anything that cannot be one."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= MAX_PK else None


def visible_accounts(request: HttpRequest) -> Any:
    """The accounts the user's teams may see (every account for admins): the base of every page's query."""
    return scope(CloudAccount.objects.all(), request.user, account_path="")


def posted_account(request: HttpRequest, field: str) -> CloudAccount | None:
    """The visible account whose id the form posted in ``field``; None for none, junk, or another team's."""
    pk = pk_of(request.POST.get(field))
    return visible_accounts(request).filter(pk=pk).first() if pk is not None else None


def scoped_accounts(request: HttpRequest) -> tuple[Any, dict[str, str], list[str]]:
    """The user's accounts narrowed by ?account= and ?team=; unknown (or hidden) names are reported, not a 500."""
    accounts = visible_accounts(request)
    chosen: dict[str, str] = {}
    problems: list[str] = []
    name = request.GET.get("account", "").strip()
    team = request.GET.get("team", "").strip()
    if name:
        chosen["account"] = name
        accounts = accounts.filter(name=name)
    if team:
        chosen["team"] = team
        accounts = accounts.filter(team=team)
    if name and not accounts.exists():
        problems.append(f"No account named {name!r}{' in team ' + repr(team) if team else ''}.")
    return accounts, chosen, problems
