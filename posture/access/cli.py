"""``--as-user USERNAME`` for management commands: run as a user, scoped exactly as the API scopes them.

Without it a command runs as the operator (whoever can run ``manage.py`` already holds the database
and the keys): every account, every action. With it, the accounts a command sees go through
:mod:`posture.access.scoping` and the actions it takes need the user's role, as over the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.db.models import QuerySet

from posture.access.roles import Role, role_of
from posture.access.scoping import scope

AS_USER_HELP = (
    "act as this user: see only the accounts of their teams (all for an admin) and do only what their role "
    "allows, recorded in the audit trail under their name. Default: the operator, with full access."
)


def add_as_user(parser: CommandParser) -> None:
    parser.add_argument("--as-user", metavar="USERNAME", dest="as_user", help=AS_USER_HELP)


def as_user(username: str | None) -> Any:
    """The active user named ``username`` with a role, or None (the operator) when no name is given."""
    if not username:
        return None
    model = get_user_model()
    user = model.objects.filter(**{model.USERNAME_FIELD: username}).first()
    if user is None or not user.is_active:
        raise CommandError(f"--as-user {username!r}: no active user of that name")
    if role_of(user) == Role.NONE:
        raise CommandError(f"--as-user {username!r}: the user has no role (viewer, analyst or admin)")
    return user


def require_role(user: Any, role: Role, what: str) -> None:
    """Refuse ``what`` when a user is given whose role is below ``role``; the operator may do anything."""
    if user is not None and role_of(user) < role:
        raise CommandError(
            f"--as-user {user.get_username()!r}: the {role_of(user).label} role may not {what} (it needs {role.label})"
        )


def scoped(queryset: QuerySet, user: Any, account_path: str = "account") -> QuerySet:
    """``queryset`` as ``user`` may see it (everything for the operator)."""
    return queryset if user is None else scope(queryset, user, account_path)
