"""python manage.py images import FILE [--format trivy|grype|auto] [--as-user NAME]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.access.cli import add_as_user, as_user, require_role
from posture.access.roles import Role
from posture.images.imports import import_report
from posture.images.reports import MAX_REPORT_BYTES, ReportError


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = "Image vulnerability scan results: import a Trivy or Grype JSON report."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        imp = actions.add_parser("import", help="import a `trivy image -f json` or `grype -o json` report")
        imp.add_argument("file", help="the report (JSON); - reads standard input")
        imp.add_argument("--format", choices=("auto", "trivy", "grype"), default="auto")
        add_as_user(imp)

    def handle(self, *args: Any, **options: Any) -> None:
        user = as_user(options.get("as_user"))
        require_role(user, Role.ANALYST, "import image scan reports")
        raw = self.read(options["file"])
        try:
            done = import_report(raw, fmt=options["format"], user=user, source="cli")
        except ReportError as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        r = done.result
        what = "older than the stored result, kept out" if done.stats.older else "imported"
        self.stdout.write(
            f"{r.registry}/{r.repository}@{r.digest} ({r.source}): {what}; {r.total} vulnerabilities, "
            f"{r.critical} critical ({r.critical_fixable} fixable), {r.high} high ({r.high_fixable} fixable)"
        )

    def read(self, name: str) -> bytes:
        import sys

        if name == "-":
            return sys.stdin.buffer.read(MAX_REPORT_BYTES + 1)
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"{name}: no such file")
        with path.open("rb") as handle:
            return handle.read(MAX_REPORT_BYTES + 1)
