"""python manage.py credentials rotate: re-encrypt every stored secret with the newest key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from posture.access.audit import record
from posture.access.cli import add_as_user, as_user, require_role
from posture.access.roles import Role
from posture.crypto import DecryptionError, decrypt_json, rotate
from posture.inventory.models import CloudAccount


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = (
        "Re-encrypt stored credentials with the first key of POSTURE_ENCRYPTION_KEYS. Runs as the operator "
        "unless --as-user names a user, who must be an admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rotate"])
        add_as_user(parser)

    def handle(self, *args, **options) -> None:
        user = as_user(options["as_user"])
        require_role(user, Role.ADMIN, "rotate credentials")
        accounts = list(CloudAccount.objects.exclude(credentials_encrypted=""))
        try:
            for account in accounts:  # decrypt all first: a missing key changes nothing
                decrypt_json(account.credentials_encrypted)
        except DecryptionError as exc:
            raise CommandError(f"{account.name}: {exc}; nothing was changed") from None
        with transaction.atomic():
            for account in accounts:
                account.credentials_encrypted = rotate(account.credentials_encrypted)
                account.save(update_fields=["credentials_encrypted", "updated_at"])
            record("credentials.rotate", None, user=user, source="cli", detail={"accounts": len(accounts)})
        self.stdout.write(f"re-encrypted the credentials of {len(accounts)} accounts with the newest key")
