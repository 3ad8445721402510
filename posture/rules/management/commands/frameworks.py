"""python manage.py frameworks list | frameworks show ID [--format json]"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from posture.rules.framework_json import framework_json
from posture.rules.frameworks import Framework, FrameworkError, catalog


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = "List the compliance frameworks, or show one's controls and the rules that evidence them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="every framework with its coverage")
        ls.add_argument("--format", choices=["table", "json"], default="table")
        show = sub.add_parser("show", help="one framework's controls")
        show.add_argument("id")
        show.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options) -> None:
        if options["action"] == "list":
            self.list(options["format"])
        else:
            try:
                fw = catalog().get(options["id"])
            except FrameworkError as exc:
                raise CommandError(str(exc)) from None
            self.show(fw, options["format"])

    def list(self, fmt: str) -> None:
        rows = []
        for fw in catalog():
            automated = [c for c in fw.controls if not c.manual and c.in_scope]
            covered = [c for c in automated if c.rules]
            rows.append(
                {
                    "id": fw.id,
                    "title": fw.title,
                    "version": fw.version,
                    "provider": fw.provider,
                    "controls": len(fw.controls),
                    "with_rules": sum(1 for c in fw.controls if c.rules),
                    "automated": len(automated),
                    "automated_with_rules": len(covered),
                    "manual": sum(1 for c in fw.controls if c.manual),
                }
            )
        if fmt == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']:<28} {r['provider']:<10} {r['controls']:>4} controls ({r['with_rules']} with a rule), "
                f"{r['automated_with_rules']}/{r['automated']} automated covered by rules, {r['manual']} manual  "
                f"{r['title']} v{r['version']}"
            )

    def show(self, fw: Framework, fmt: str) -> None:
        if fmt == "json":
            self.stdout.write(json.dumps(framework_json(fw), indent=2))
            return
        self.stdout.write(f"{fw.title} v{fw.version} ({fw.id}, {fw.provider})")
        current = None
        for c in fw.controls:
            if c.section_id != current:
                current = c.section_id
                self.stdout.write("\n" + " > ".join(f"{s.id} {s.title}" for s in fw.section_path(c.section_id)))
            scope = "" if c.in_scope else " [out of scope]"
            rules = ", ".join(c.rules) if c.rules else ("-" if c.manual else "no rule yet")
            self.stdout.write(f"  {c.id:<8} {c.assessment:<9} {c.title}{scope}\n           rules: {rules}")
