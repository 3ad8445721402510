"""python manage.py integrations list | test NAME | sweep | resend NAME | log [NAME] | rotate"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from posture.access.audit import record
from posture.crypto import DecryptionError, decrypt_json, rotate
from posture.integrations import operations, tasks
from posture.integrations.models import Delivery, DeliveryStatus, JiraConnection, Target, WebhookEndpoint


def get_target(name: str) -> Target:
    found = [m.objects.filter(name=name).first() for m in (WebhookEndpoint, JiraConnection)]
    found = [t for t in found if t is not None]
    if not found:
        known = [
            *WebhookEndpoint.objects.values_list("name", flat=True),
            *JiraConnection.objects.values_list("name", flat=True),
        ]
        raise CommandError(f"no integration named {name!r} (integrations: {', '.join(sorted(known)) or 'none yet'})")
    if len(found) > 1:
        raise CommandError(f"{name!r} names both a webhook and a Jira connection: rename one")
    return found[0]


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = "Webhook endpoints and Jira connections: list, test, sweep the outbox, resend failed deliveries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="list webhook endpoints and Jira connections")
        test = sub.add_parser("test", help="send a signed test delivery (webhook) or sign in to Jira")
        test.add_argument("name")
        sub.add_parser("sweep", help="dispatch new finding events and send what is due")
        resend = sub.add_parser("resend", help="queue an integration's failed deliveries again")
        resend.add_argument("name")
        log = sub.add_parser("log", help="the latest deliveries")
        log.add_argument("name", nargs="?")
        log.add_argument("--limit", type=int, default=20)
        sub.add_parser("rotate", help="re-encrypt webhook secrets and Jira tokens with the newest key")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"do_{action}")(**options)

    def do_list(self, **_: object) -> None:
        for hook in WebhookEndpoint.objects.all():
            state = "enabled" if hook.enabled else "disabled"
            self.stdout.write(f"webhook  {hook.name:<24} {state:<8} {hook.url}  events={','.join(hook.events)}")
        for conn in JiraConnection.objects.all():
            state = "enabled" if conn.enabled else "disabled"
            self.stdout.write(
                f"jira     {conn.name:<24} {state:<8} {conn.base_url}  project={conn.project_key} ({conn.flavor})"
            )

    def do_test(self, name: str, **_: object) -> None:
        result = operations.check_target(get_target(name), source="cli")
        if not result.ok:
            raise CommandError(f"{name}: {result.detail}")
        self.stdout.write(self.style.SUCCESS(f"{name}: {result.detail}"))

    def do_sweep(self, **_: object) -> None:
        created = tasks.sweep()
        self.stdout.write(f"{created} new deliveries; due deliveries sent")

    def do_resend(self, name: str, **_: object) -> None:
        target = get_target(name)
        failed = list(target.deliveries.filter(status=DeliveryStatus.FAILED).order_by("id"))
        count = operations.resend(failed, source="cli")
        self.stdout.write(f"{count} failed deliveries of {name} queued again")

    def do_log(self, name: str | None = None, limit: int = 20, **_: object) -> None:
        qs = Delivery.objects.select_related("webhook", "jira").order_by("-id")
        if name:
            target = get_target(name)
            qs = qs.filter(**{"webhook" if isinstance(target, WebhookEndpoint) else "jira": target})
        for d in qs[:limit]:
            code = d.response_code or "-"
            what = d.result or d.error
            self.stdout.write(
                f"{d.pk:>6} {d.created_at:%Y-%m-%d %H:%M} {d.target} {d.event:<20} {d.status:<9} "
                f"attempts={d.attempts} code={code} {what[:100]}"
            )

    def do_rotate(self, **_: object) -> None:
        """Like ``credentials rotate``, for integration secrets: run it too before dropping an old key."""
        rows = [(h, "secret_encrypted") for h in WebhookEndpoint.objects.all()]
        rows += [(c, "token_encrypted") for c in JiraConnection.objects.all()]
        for target, attr in rows:  # decrypt all first: a missing key changes nothing
            try:
                decrypt_json(getattr(target, attr))
            except DecryptionError as exc:
                raise CommandError(f"{target.name}: {exc}; nothing was changed") from None
        with transaction.atomic():
            for target, attr in rows:
                type(target).objects.filter(pk=target.pk).update(**{attr: rotate(getattr(target, attr))})
            record("integration.rotate", None, source="cli", detail={"integrations": len(rows)})
        self.stdout.write(f"re-encrypted the secrets of {len(rows)} integrations with the newest key")
