"""python manage.py purge [--days N]: drop history older than the retention period."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.scans.retention import purge


class Command(BaseCommand):
    help = "Purge scans, events and snapshots older than POSTURE_RETENTION_DAYS (current findings stay)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="override the retention period")

    def handle(self, *args, **options) -> None:
        if options["days"] is not None and options["days"] < 1:
            raise CommandError("--days must be 1 or more")
        counts = purge(days=options["days"])
        self.stdout.write(f"purged {counts['scans']} scans and {counts['events']} finding events")
