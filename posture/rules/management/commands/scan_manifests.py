"""python manage.py scan-manifests PATH... [--format text|json|sarif] [--output FILE] [--fail-on SEVERITY]

Runs the Kubernetes rules over manifests (files, directories, multi-document
YAML, List objects, Helm output, ``-`` for stdin) for a CI gate. Exit codes:
0 nothing at or above --fail-on failed; 1 something did; 2 a document could
not be read (it is named, and the rest was still scanned).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.rules.packs.kubernetes.manifest_scan import FAIL_ON, FORMATS, as_json, as_text, scan_manifests, summary
from posture.rules.packs.kubernetes.sarif import as_sarif


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = "Check Kubernetes manifests against the Kubernetes rules; exit non-zero on failures (for CI)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="manifest files or directories; - for stdin")
        parser.add_argument("--format", choices=FORMATS, default="text")
        parser.add_argument("--output", help="write the report to this file (default: standard output)")
        parser.add_argument(
            "--fail-on",
            choices=FAIL_ON,
            default="high",
            help="exit 1 when a rule of this severity or higher fails (default: high; none: never)",
        )
        parser.add_argument("--show-passed", action="store_true", help="text format: list passing checks too")

    def handle(self, *args, **options) -> None:
        missing = [p for p in options["paths"] if p != "-" and not Path(p).exists()]
        if missing:
            raise CommandError(f"no such file or directory: {', '.join(missing)}")
        report = scan_manifests(options["paths"])
        fmt = options["format"]
        if fmt == "json":
            body = as_json(report) + "\n"
        elif fmt == "sarif":
            body = as_sarif(report) + "\n"
        else:
            body = as_text(report, show_passed=options["show_passed"])
        if options["output"]:
            try:
                Path(options["output"]).write_text(body, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"--output {options['output']}: {exc.strerror}") from None
            self.stdout.write(f"{summary(report)}; report written to {options['output']}")
        else:
            self.stdout.write(body, ending="")
        for error in report.errors:
            self.stderr.write(f"error: {error}")
        code = report.exit_code(options["fail_on"])
        if code == 2:
            raise CommandError(f"{len(report.errors)} documents could not be read", returncode=2)
        if code == 1:
            failing = report.failing_at(options["fail_on"])
            raise CommandError(f"{len(failing)} checks at or above {options['fail_on']} failed", returncode=1)
