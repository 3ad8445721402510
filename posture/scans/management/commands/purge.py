"""python manage.py purge [--days N]: drop history older than the retention period."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.access.audit import record
from posture.access.cli import add_as_user, as_user, require_role
from posture.access.roles import Role
from posture.scans.retention import purge


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = (
        "Purge scans, events and snapshots older than POSTURE_RETENTION_DAYS (current findings stay). "
        "Runs as the operator unless --as-user names a user, who must be an admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="override the retention period")
        add_as_user(parser)

    def handle(self, *args, **options) -> None:
        if options["days"] is not None and options["days"] < 1:
            raise CommandError("--days must be 1 or more")
        user = as_user(options["as_user"])
        require_role(user, Role.ADMIN, "purge history")
        counts = purge(days=options["days"])
        record("history.purge", None, user=user, source="cli", detail={"days": options["days"], **counts})
        self.stdout.write(f"purged {counts['scans']} scans and {counts['events']} finding events")
