"""python manage.py findings export [--account NAME] [--status FAIL] [--framework ID] [--category exposure]
    --format json|csv|ocsf|sarif

The filters are the API's (posture.findings.filters.FindingFilter) and ``--as-user`` scopes as the API does.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from posture.access.audit import record
from posture.access.cli import add_as_user, as_user, scoped
from posture.findings.export import FORMATS, export_stream
from posture.findings.filters import FindingFilter
from posture.findings.models import Finding
from posture.inventory.cli import get_account
from posture.rules.registry import CATEGORIES

FILTER_OPTIONS = ("account", "status", "framework", "category")


def select_findings(options: dict[str, Any], user: Any) -> QuerySet[Finding]:
    """The findings the API's filters select from what ``user`` may see (everything for the operator)."""
    data = QueryDict(mutable=True)
    for name in FILTER_OPTIONS:
        if options.get(name):
            data[name] = options[name].upper() if name == "status" else options[name]
    filterset = FindingFilter(data, queryset=scoped(Finding.objects.order_by("id"), user))
    if not filterset.is_valid():
        raise CommandError("; ".join(f"--{name} {' '.join(errors)}" for name, errors in filterset.errors.items()))
    try:
        return filterset.qs
    except ValidationError as exc:
        raise CommandError("; ".join(f"--{name} {' '.join(map(str, e))}" for name, e in exc.detail.items())) from None


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = (
        "Export findings as JSON (an array), CSV, OCSF Detection Findings or SARIF. Runs as the operator (every "
        "account) unless --as-user names a user: then only the findings of their teams' accounts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write findings to a file or standard output")
        export.add_argument("--account")
        export.add_argument("--status", help="PASS, FAIL, ERROR or MANUAL")
        export.add_argument("--framework", help="a framework id, e.g. cis-aws-foundations-7.0")
        export.add_argument("--category", help=f"a rule category: {', '.join(CATEGORIES)}")
        export.add_argument("--format", choices=sorted(FORMATS), required=True)
        export.add_argument("--output", help="a file path (default: standard output)")
        add_as_user(export)

    def handle(self, *args, **options) -> None:
        user = as_user(options["as_user"])
        if options["account"]:
            get_account(options["account"], user)
        findings = select_findings(options, user)
        filters = {k: options[k] for k in FILTER_OPTIONS if options[k]}
        record("findings.export", None, user=user, source="cli", detail={"format": options["format"], **filters})
        chunks = export_stream(options["format"], findings)
        if not options["output"]:
            for chunk in chunks:
                sys.stdout.write(chunk)
            return
        out = Path(options["output"])
        if not out.parent.is_dir():
            raise CommandError(f"--output {out}: folder {out.parent} does not exist")
        # Write beside the target and rename: a failed export never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
        try:
            with os.fdopen(fd, "w", newline="") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.stderr.write(f"wrote {out}")
