"""python manage.py scan NAME [--async] [--strict] | scan --all"""

from __future__ import annotations

import gc
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.access.cli import add_as_user, as_user, require_role, scoped
from posture.access.roles import Role
from posture.inventory.cli import get_account
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan, ScanState
from posture.scans.pipeline import QueueUnavailable, ScanRefused, run_scan
from posture.scans.tasks import start_scan


class ProgressBar:
    def __init__(self, stream, label: str, width: int = 30) -> None:
        self.stream, self.label, self.width = stream, label, width

    def __call__(self, done: int, total: int) -> None:
        filled = int(self.width * done / total) if total else self.width
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


def summary(scan: Scan) -> str:
    counts = scan.counts or {}
    statuses = counts.get("findings", {})
    moves = counts.get("transitions", {})
    lines = [
        f"scan {scan.pk} of {scan.account.name}: {scan.state}"
        + (f" in {scan.duration_seconds:.1f}s" if scan.duration_seconds is not None else ""),
    ]
    if counts:
        lines.append(
            f"  resources {counts.get('resources', 0)} ({counts.get('resources_new', 0)} new, "
            f"{counts.get('resources_changed', 0)} changed); findings "
            + ", ".join(f"{k} {v}" for k, v in statuses.items())
        )
        if moves:
            lines.append("  transitions " + ", ".join(f"{k} {v}" for k, v in moves.items()))
    for error in scan.errors:
        lines.append(f"  not collected: {error['service']} in {error['region']} ({error['kind']}): {error['error']}")
    if scan.message:
        lines.append(f"  {scan.message}")
    return "\n".join(lines)


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = (
        "Scan an account now (or queue the scan with --async). Exits 1 if the scan failed. Runs as the operator "
        "(any account) unless --as-user names a user: then an analyst or admin, and only their teams' accounts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="the account to scan")
        parser.add_argument("--all", action="store_true", help="scan every enabled account")
        parser.add_argument("--async", dest="queue", action="store_true", help="queue the scan for a worker")
        parser.add_argument("--strict", action="store_true", help="exit 2 when the scan is only partial")
        add_as_user(parser)

    def run_from_argv(self, argv: list[str]) -> None:
        """From the command line (not ``call_command``): what the process has built by now (Django, the models,
        this command's modules) lives as long as it does, so the full collections a scan's allocations set off
        need not walk it (see ``posture.warmup``)."""
        gc.freeze()
        super().run_from_argv(argv)

    def handle(self, *args, **options) -> None:
        if bool(options["name"]) == bool(options["all"]):
            raise CommandError("give one account name, or --all")
        user = as_user(options["as_user"])
        require_role(user, Role.ANALYST, "start scans")
        if options["all"]:
            accounts = list(scoped(CloudAccount.objects.filter(enabled=True), user, account_path=""))
        else:
            accounts = [get_account(options["name"], user)]
        worst = 0
        for account in accounts:
            try:
                scan = start_scan(
                    account, trigger="cli", user=user, source="cli", queue=options["queue"], background=False
                )
            except ScanRefused as exc:
                raise CommandError(str(exc)) from None
            except QueueUnavailable as exc:
                raise CommandError(f"{account.name}: {exc}") from None
            if options["queue"]:
                self.stdout.write(f"queued scan {scan.pk} of {account.name}")
                continue
            bar = ProgressBar(self.stderr._out, f"scanning {account.name}") if sys.stderr.isatty() else None
            scan = run_scan(scan.pk, on_progress=bar)
            if bar:
                bar.close()
            self.stdout.write(summary(scan))
            if scan.state == ScanState.FAILED:
                worst = max(worst, 1)
            elif scan.state == ScanState.PARTIAL and options["strict"]:
                worst = max(worst, 2)
        if worst:
            sys.exit(worst)
