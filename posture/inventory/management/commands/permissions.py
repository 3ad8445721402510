"""python manage.py permissions aws|azure|gcp|kubernetes: the read-only grant a scan needs, as the cloud takes it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from collectors import REGISTRY
from collectors.permissions import document, grant_hint, render


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = (
        "Print what Posture's scans need from a cloud: an IAM policy (AWS), a custom role definition (Azure), "
        "a custom role for gcloud iam roles create --file (Google Cloud), a ClusterRole (Kubernetes). "
        "Read-only: exactly the calls the collectors make. How to grant it goes to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("provider", help=f"one of: {', '.join(REGISTRY.provider_names())}")
        parser.add_argument(
            "--scope",
            default="/subscriptions/SUBSCRIPTION_ID",
            help="Azure: where the role may be assigned (AssignableScopes), e.g. /subscriptions/ID",
        )

    def handle(self, *args, **options) -> None:
        provider = options["provider"]
        if provider not in REGISTRY.provider_names():
            raise CommandError(f"unknown provider {provider!r} (available: {', '.join(REGISTRY.provider_names())})")
        extra = {"scope": options["scope"]} if provider == "azure" else {}
        try:
            body = document(provider, **extra)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(render(provider, body), ending="")
        self.stderr.write(grant_hint(provider))
