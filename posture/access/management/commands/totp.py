"""python manage.py totp reset USER | rotate: recover a user's second factor; re-encrypt the secrets."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.access import totp
from posture.access.audit import record
from posture.crypto import DecryptionError


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = (
        "reset USER: remove the user's TOTP second factor (lost phone), so that they sign in with their"
        " password alone and set up a new one. rotate: re-encrypt every TOTP secret with the newest key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reset", "rotate"])
        parser.add_argument("username", nargs="?")

    def handle(self, *args, **options) -> None:
        if options["action"] == "rotate":
            try:
                count = totp.rotate_secrets()
            except DecryptionError as exc:
                raise CommandError(f"{exc}; nothing was changed") from None
            record("totp.rotate", None, source="cli", detail={"devices": count})
            self.stdout.write(f"re-encrypted {count} TOTP secrets with the newest key")
            return
        name = options["username"]
        if not name:
            raise CommandError("totp reset needs the user name")
        model = get_user_model()
        user = model.objects.filter(**{model.USERNAME_FIELD: name}).first()
        if user is None:
            raise CommandError(f"no user named {name!r}")
        if not totp.reset(user):
            self.stdout.write(f"{name} has no second factor; nothing to reset")
            return
        record("totp.reset", user, source="cli", detail={"by": "cli"})
        self.stdout.write(f"removed {name}'s second factor: they sign in with their password and set up a new one")
