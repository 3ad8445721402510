"""Roles: admin (accounts, credentials, integrations), analyst (triage), viewer (read-only).

A role is a Django group of the same name; a superuser is an admin. A user
holds the highest role of their groups.
"""

from __future__ import annotations

from enum import IntEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(IntEnum):
    NONE = 0
    VIEWER = 1
    ANALYST = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


ROLE_NAMES = ("viewer", "analyst", "admin")


def role_of(user: AbstractBaseUser | AnonymousUser | None) -> Role:
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.NONE
    if user.is_superuser:
        return Role.ADMIN
    names = group_names(user)
    return max((Role[n.upper()] for n in names if n in ROLE_NAMES), default=Role.NONE)


def group_names(user: AbstractBaseUser) -> frozenset[str]:
    """The user's group names (roles and ``team:`` groups), read once per request's user object."""
    cached = getattr(user, "_posture_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True)) if user.pk else frozenset()
        user._posture_groups = cached
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser | None, role: Role) -> bool:
    return role_of(user) >= role
