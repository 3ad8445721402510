"""python manage.py baseline SCAN_ID [--clear] [--as-user NAME]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.access.cli import add_as_user, as_user, require_role, scoped
from posture.access.roles import Role
from posture.scans.baseline import BaselineRefused, clear_baseline, mark_baseline
from posture.scans.models import Scan


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = (
        "Mark a finished scan as its account's approved drift baseline (replacing the one before), or --clear it. "
        "Needs an analyst with --as-user; recorded in the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scan_id", type=int, help="the scan's id")
        parser.add_argument("--clear", action="store_true", help="stop this scan being the baseline")
        add_as_user(parser)

    def handle(self, *args, **options) -> None:
        user = as_user(options["as_user"])
        require_role(user, Role.ANALYST, "mark baselines")
        scan = scoped(Scan.objects.select_related("account"), user).filter(pk=options["scan_id"]).first()
        if scan is None:
            raise CommandError(f"no scan {options['scan_id']}")
        if options["clear"]:
            done = clear_baseline(scan, user=user, source="cli")
            self.stdout.write(f"scan {scan.pk} " + ("is no longer the baseline" if done else "was not the baseline"))
            return
        try:
            mark_baseline(scan, user=user, source="cli")
        except BaselineRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"scan {scan.pk} is now the baseline of {scan.account.name}")
