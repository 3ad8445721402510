"""python manage.py findings export [--account NAME] [--status FAIL] [--framework ID] --format json|csv|ocsf|sarif"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.findings.export import FORMATS, ExportInputError, rows, select_findings, stream
from posture.inventory.management.commands.accounts import get_account


class Command(BaseCommand):
    help = "Export findings as JSON (an array), CSV, OCSF Detection Findings or SARIF."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write findings to a file or standard output")
        export.add_argument("--account")
        export.add_argument("--status", help="PASS, FAIL, ERROR or MANUAL")
        export.add_argument("--framework", help="a framework id, e.g. cis-aws-foundations-7.0")
        export.add_argument("--format", choices=sorted(FORMATS), required=True)
        export.add_argument("--output", help="a file path (default: standard output)")

    def handle(self, *args, **options) -> None:
        if options["account"]:
            get_account(options["account"])
        try:
            findings = select_findings(
                account=options["account"], status=options["status"], framework=options["framework"]
            )
        except ExportInputError as exc:
            raise CommandError(str(exc)) from None
        chunks = stream(options["format"], rows(findings))
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
