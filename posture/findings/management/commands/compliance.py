"""python manage.py compliance scores|show|attest|attestations|revoke

The same numbers as the pages and the API (``posture.findings.compliance``), and attestations through the
same service functions (``posture.findings.attestations``). ``--as-user`` scopes as the API does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from posture.access.cli import add_as_user, as_user, scoped
from posture.findings.attestations import (
    AttestationInput,
    AttestationInputError,
    create_attestation,
    end_of_day,
    revoke_attestation,
    state_of,
    visible_attestations,
)
from posture.findings.compliance import summaries
from posture.findings.models import Attestation
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import FrameworkError, catalog


def parse_expiry(raw: str) -> datetime:
    """A date (the attestation lasts through that day, UTC) or an ISO 8601 date-time."""
    try:
        day = parse_date(raw) if len(raw) == 10 else None
        moment = None if day else parse_datetime(raw)
    except ValueError:  # a date-shaped but impossible value (2026-13-45)
        day = moment = None
    if day is not None:
        return end_of_day(day)
    if moment is None:
        raise CommandError(f"--expires {raw!r}: a date (YYYY-MM-DD) or an ISO 8601 date-time")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = "Compliance scores (as the pages and the API show them) and attestations for controls no rule decides."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        scores = sub.add_parser("scores", help="each framework's score over the scope")
        show = sub.add_parser("show", help="one framework's controls with their status")
        show.add_argument("framework")
        for p in (scores, show):
            p.add_argument("--account")
            p.add_argument("--team")
            p.add_argument("--format", choices=["text", "json"], default="text")
            add_as_user(p)
        attest = sub.add_parser("attest", help="record an attestation")
        attest.add_argument("framework")
        attest.add_argument("control")
        attest.add_argument("--result", choices=["pass", "fail"], required=True)
        attest.add_argument("--note", required=True, help="what was reviewed, and how")
        attest.add_argument("--expires", required=True, help="YYYY-MM-DD (through that day, UTC) or a date-time")
        attest.add_argument("--evidence-url", default="")
        where = attest.add_mutually_exclusive_group()
        where.add_argument("--account", help="one account (default: every account)")
        where.add_argument("--team", help="every account of a team")
        add_as_user(attest)
        ls = sub.add_parser("attestations", help="list attestations")
        ls.add_argument("--framework")
        ls.add_argument("--format", choices=["text", "json"], default="text")
        add_as_user(ls)
        revoke = sub.add_parser("revoke", help="revoke an attestation (kept for the record)")
        revoke.add_argument("id", type=int)
        add_as_user(revoke)

    def handle(self, *args: Any, **options: Any) -> None:
        user = as_user(options.get("as_user"))
        getattr(self, f"do_{options['action']}")(user, options)

    def _accounts(self, user: Any, options: dict[str, Any]) -> Any:
        accounts = scoped(CloudAccount.objects.all(), user, account_path="")
        if options.get("account"):
            accounts = accounts.filter(name=options["account"])
            if not accounts.exists():
                raise CommandError(f"--account {options['account']!r}: no such account")
        if options.get("team"):
            accounts = accounts.filter(team=options["team"])
        return accounts

    def do_scores(self, user: Any, options: dict[str, Any]) -> None:
        frameworks = list(catalog())
        rows = summaries(frameworks, self._accounts(user, options))
        for row in rows:
            row.pop("sections")
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for r in rows:
            score = "—" if r["score"] is None else f"{r['score']:.1f}%"
            self.stdout.write(
                f"{r['framework']['id']:<28} {score:>7}  {r['controls_passed']}/{r['controls_evaluated']} controls "
                f"({r['controls_attested']} attested, {r['needs_attestation']} need attestation), "
                f"{r['resources_failed']} failing resources, {r['accounts']} accounts"
            )

    def do_show(self, user: Any, options: dict[str, Any]) -> None:
        try:
            fw = catalog().get(options["framework"])
        except FrameworkError as exc:
            raise CommandError(str(exc)) from None
        s = summaries([fw], self._accounts(user, options))[0]
        if options["format"] == "json":
            self.stdout.write(json.dumps(s, indent=2))
            return
        score = "—" if s["score"] is None else f"{s['score']:.1f}%"
        self.stdout.write(f"{fw.title} v{fw.version}: {score}, {s['controls_passed']}/{s['controls_evaluated']}")
        for section in s["sections"]:
            for c in section["controls"]:
                self.stdout.write(f"  {c['id']:<8} {c['status_label']:<18} CIS {c['assessment']:<9} {c['title']}")

    def do_attest(self, user: Any, options: dict[str, Any]) -> None:
        account = None
        if options.get("account"):
            account = scoped(CloudAccount.objects.all(), user, account_path="").filter(name=options["account"]).first()
            if account is None:
                raise CommandError(f"--account {options['account']!r}: no such account")
        data = AttestationInput(
            framework_id=options["framework"],
            control_id=options["control"],
            result=options["result"],
            note=options["note"],
            expires_at=parse_expiry(options["expires"]),
            account=account,
            team=options.get("team") or "",
            evidence_url=options["evidence_url"],
        )
        try:
            attestation = create_attestation(data, user=user, source="cli")
        except AttestationInputError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"attestation {attestation.pk}: {attestation}, until {attestation.expires_at:%Y-%m-%d %H:%M} UTC"
        )

    def _visible(self, user: Any) -> Any:
        return Attestation.objects.select_related("account") if user is None else visible_attestations(user)

    def do_attestations(self, user: Any, options: dict[str, Any]) -> None:
        rows = self._visible(user).order_by("-id")
        if options.get("framework"):
            rows = rows.filter(framework_id=options["framework"])
        out = [
            {
                "id": a.pk,
                "framework": a.framework_id,
                "control": a.control_id,
                "result": a.result,
                "scope": a.scope_label,
                "state": state_of(a),
                "expires_at": a.expires_at.isoformat(),
                "note": a.note,
            }
            for a in rows
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(out, indent=2))
            return
        for a in out:
            self.stdout.write(
                f"{a['id']:>5} {a['framework']} {a['control']:<8} {a['result']:<4} {a['state']:<7} "
                f"until {a['expires_at'][:10]}  {a['scope']}"
            )

    def do_revoke(self, user: Any, options: dict[str, Any]) -> None:
        attestation = self._visible(user).filter(pk=options["id"]).first()
        if attestation is None:
            raise CommandError(f"no attestation {options['id']}")
        try:
            revoke_attestation(attestation, user=user, source="cli")
        except AttestationInputError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"attestation {attestation.pk} revoked")
