"""python manage.py audit verify: check the audit trail's hash chain."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandParser

from posture.access.audit import verify


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = "Verify that no audit entry was edited or deleted. Exits 1 where the chain breaks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options) -> None:
        result = verify()
        if result.ok:
            self.stdout.write(f"audit trail intact: {result.checked} entries")
            return
        self.stderr.write(f"audit trail broken at {result.problem} ({result.checked} entries verified before it)")
        sys.exit(1)
