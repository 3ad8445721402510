from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_role_groups(using: str = "default", **_: Any) -> None:
    """The three role groups exist after every migrate and every flush (which empties them and signals again)."""
    from django.contrib.auth.models import Group

    from posture.access.roles import ROLE_NAMES

    for name in ROLE_NAMES:
        Group.objects.using(using).get_or_create(name=name)


class AccessConfig(AppConfig):
    name = "posture.access"
    label = "access"
    verbose_name = "Access and audit"

    def ready(self) -> None:
        import posture.access.throttle  # noqa: F401  (counts failed sign-ins)

        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="posture.access.role_groups")
