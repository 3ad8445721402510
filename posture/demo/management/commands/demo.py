"""python manage.py demo: local emulators, a simulated multi-cloud estate, a month of history, the dashboard."""

from __future__ import annotations

import logging
import os
import secrets
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.demo.clouds import start_clouds
from posture.demo.image_reports import import_demo_reports
from posture.demo.replay import SCAN_DAYS, add_missing_inside, demo_accounts, register, replay, reset
from posture.demo.serve import serve

LOOPBACK = ["127.0.0.0/8", "::1/128"]


class Command(BaseCommand):
    help = (
        "Start the local cloud emulators, build a demo estate with a month of history, and serve the dashboard. "
        "Ctrl-C stops everything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--reset", action="store_true", help="remove the demo accounts and replay the month")
        parser.add_argument("--no-serve", action="store_true", help="build the estate and stop")
        parser.add_argument(
            "--scan-days",
            type=int,
            default=len(SCAN_DAYS),
            help=f"how many of the month's scan days to replay (default {len(SCAN_DAYS)})",
        )

    def handle(self, *args, **options) -> None:
        # The emulators listen on loopback: let this process's scans reach them.
        settings.ALLOWED_NETWORKS = sorted(set(settings.ALLOWED_NETWORKS) | set(LOOPBACK))
        # The demo prints its own lines; moto's server logs every request and its unsupported APIs loudly.
        for name, level in (
            ("posture.scans.pipeline", logging.WARNING),
            ("collectors", logging.WARNING),
            ("werkzeug", logging.CRITICAL),
        ):
            logging.getLogger(name).setLevel(level)
        os.environ.setdefault("POSTURE_AWS_MAX_ATTEMPTS", "2")  # moto answers at once or never
        if not 1 <= options["scan_days"] <= len(SCAN_DAYS):
            raise CommandError(f"--scan-days must be between 1 and {len(SCAN_DAYS)}")
        call_command("migrate", verbosity=0, interactive=False)
        if options["reset"]:
            self.stdout.write(f"removed {reset()} demo accounts")
        replayed = bool(demo_accounts())
        self.stdout.write("importing image scan reports:")
        import_demo_reports(say=self.stdout.write)
        t0 = time.monotonic()
        started = start_clouds()
        if not started:
            raise CommandError("no demo cloud could start; see the warnings above")
        try:
            clouds = []
            for cloud, specs in started:
                self.stdout.write(f"started {cloud.title}")
                clouds.append((cloud, [register(spec) for spec in specs]))
            if replayed:
                self.stdout.write("the demo estate exists: reusing it (--reset replays the month)")
                for cloud, _ in clouds:
                    cloud.apply(cloud.steps - 1)
                add_missing_inside(clouds, say=self.stdout.write)
            else:
                self.stdout.write(f"replaying {options['scan_days']} scan days of history:")
                days = SCAN_DAYS[-options["scan_days"] :]
                count = replay(clouds, scan_days=days, say=self.stdout.write)
                self.stdout.write(f"{count} scans in {time.monotonic() - t0:.0f} s")
            self._login_hint()
            if options["no_serve"]:
                return
            self.stdout.write(f"\nPosture is at http://127.0.0.1:{options['port']}/  (Ctrl-C stops everything)\n")
            serve(options["port"])
        finally:
            for cloud, _ in started:
                cloud.stop()

    def _login_hint(self) -> None:
        User = get_user_model()
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(username="demo", defaults={"is_superuser": True, "is_staff": True})
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name="admin"))
        self.stdout.write(f"\nsign in as  demo / {password}")
