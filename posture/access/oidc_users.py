"""Users from OpenID Connect claims: created on first sign-in, role and teams re-synced on every one.

A user is matched on (issuer, subject), never on a name the provider lets people choose. A new
user takes the name in ``POSTURE_OIDC_USERNAME_CLAIM``; when a local account already has that name
the sign-in is refused rather than linked. Claims that map to no role refuse the sign-in: a new
user is not created, a known one loses the roles and teams they no longer hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from posture.access.claims import ROLES, GroupMapping, claimed_groups, map_groups
from posture.access.models import ExternalIdentity
from posture.access.scoping import TEAM_PREFIX


class Refused(Exception):
    """Claims that do not let the user in; ``reason`` for the audit trail, the text for the refusal page."""

    def __init__(self, reason: str, message: str, user: User | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.user = user


@dataclass
class SignIn:
    user: User
    created: bool
    role: str
    teams: list[str]
    groups: list[str]


def mapping() -> GroupMapping:
    return GroupMapping(
        roles=settings.OIDC_ROLE_MAP, teams=settings.OIDC_TEAM_MAP, team_prefix=settings.OIDC_TEAM_PREFIX
    )


def username_from(claims: dict[str, Any]) -> str:
    raw = claims.get(settings.OIDC_USERNAME_CLAIM)
    name = raw.strip() if isinstance(raw, str) else ""
    field = User._meta.get_field("username")
    if not name or len(name) > field.max_length:
        raise Refused("no_username", f"the provider sent no usable {settings.OIDC_USERNAME_CLAIM!r} claim")
    try:
        field.run_validators(name)
    except Exception:
        raise Refused("no_username", f"the user name {name!r} from the provider has characters Posture refuses")
    return name


def sync_groups(user: User, role: str | None, teams: set[str]) -> None:
    """Exactly ``role`` among the role groups and exactly ``teams`` among the team groups; others untouched."""
    current = {g.name: g for g in user.groups.filter(Q(name__in=ROLES) | Q(name__startswith=TEAM_PREFIX))}
    wanted = ({role} if role else set()) | {f"{TEAM_PREFIX}{t}" for t in teams}
    stale = [g for name, g in current.items() if name not in wanted]
    if stale:
        user.groups.remove(*stale)
    missing = [Group.objects.get_or_create(name=name)[0] for name in sorted(wanted - set(current))]
    if missing:
        user.groups.add(*missing)
    user._posture_groups = None


def sign_in_from_claims(claims: dict[str, Any], issuer: str) -> SignIn:
    """The user these verified claims stand for, created or updated; :class:`Refused` if they may not enter."""
    groups = claimed_groups(claims, settings.OIDC_GROUPS_CLAIM)
    role, teams = map_groups(groups, mapping())
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=claims["sub"])
            .first()
        )
        if identity is None:
            if role is None:
                raise Refused("no_role", "none of your groups at the identity provider gives a role in Posture")
            name = username_from(claims)
            if User.objects.filter(username__iexact=name).exists():
                raise Refused(
                    "name_taken", f"a Posture account named {name!r} exists already and is not linked to this sign-in"
                )
            user = User(username=name)
            user.set_unusable_password()  # signs in through the provider only
            created = True
        else:
            user, created = identity.user, False
            if not user.is_active:
                raise Refused("inactive", "your Posture account is deactivated", user)
        user.email = str(claims.get("email") or user.email or "")[:254]
        user.first_name = str(claims.get("given_name") or user.first_name or "")[:150]
        user.last_name = str(claims.get("family_name") or user.last_name or "")[:150]
        user.save()
        if identity is None:
            identity = ExternalIdentity.objects.create(user=user, issuer=issuer, subject=claims["sub"])
        sync_groups(user, role, teams)
        if role is None:
            raise_after_commit = Refused("no_role", "none of your groups at the identity provider gives a role", user)
        else:
            raise_after_commit = None
            identity.last_login_at = timezone.now()
            identity.save(update_fields=["last_login_at"])
    if raise_after_commit is not None:
        raise raise_after_commit  # the roles and teams it lost stay removed
    return SignIn(user=user, created=created, role=role or "", teams=sorted(teams), groups=groups)
