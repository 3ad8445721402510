"""python manage.py paths list [--account NAME] [--target-kind admin|secrets|data] [--min-rank N]
    [--state open|closed|all] [--format text|json|csv] [--as-user NAME]
python manage.py paths rebuild

``list`` reads the stored paths with the API's filters (``--as-user`` scopes as the API does); ``rebuild``
builds the graph and the paths again from what is stored now and sends their events (a finished scan asks
for a rebuild by itself).
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.access.cli import add_as_user, as_user
from posture.paths.builds import run_build
from posture.paths.export import FORMATS, hop_text, render
from posture.paths.items import TARGET_KINDS
from posture.paths.query import PathFilterError, PathFilters, filtered_paths, path_rows
from posture.paths.refresh import Refreshed


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = "List exposure paths (internet -> foothold -> identity -> target), worst first, or rebuild them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the stored paths")
        listing.add_argument("--account")
        listing.add_argument("--target-kind", dest="target_kind", choices=TARGET_KINDS)
        listing.add_argument("--min-rank", dest="min_rank")
        listing.add_argument("--state", choices=("open", "closed", "all"), default="open")
        listing.add_argument("--format", choices=["text", *sorted(FORMATS)], default="text")
        add_as_user(listing)
        sub.add_parser("rebuild", help="build the graph and the paths again from the stored estate")

    def handle(self, *args, **options) -> None:
        if options["action"] == "rebuild":
            done = run_build(force=True) or Refreshed()  # forced: it always builds
            self.stdout.write(f"{done.paths} paths; {len(done.opened)} opened, {len(done.closed)} closed")
            return
        user = as_user(options["as_user"])
        params = {k: options.get(k) for k in ("account", "target_kind", "min_rank", "state")}
        try:
            rows = path_rows(filtered_paths(user, PathFilters.parse(params)).order_by("-rank", "title", "id"))
        except PathFilterError as exc:
            raise CommandError(f"--{exc.field.replace('_', '-')} {exc}") from None
        if options["format"] != "text":
            sys.stdout.write(render(options["format"], rows))
            return
        for row in rows:
            self.stdout.write(f"[{row['rank']}] {row['target_kind']}: {row['title']} ({', '.join(row['accounts'])})")
            for hop in row["hops"]:
                self.stdout.write(f"    {hop_text(hop)}")
        self.stdout.write(f"{len(rows)} path{'s' if len(rows) != 1 else ''}")
