"""What the management commands share about accounts: finding one by name, and naming the option an error is about."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from posture.access.cli import scoped
from posture.inventory.accounts import AccountInputError
from posture.inventory.models import CloudAccount

# The command-line option of each AccountInput field (the provider is the first argument; credential
# errors name their own options).
OPTIONS = {
    "name": "--name",
    "regions": "--regions",
    "endpoint_url": "--endpoint-url",
    "team": "--team",
    "labels": "--label",
    "schedule": "--schedule",
    "via": "--via",
    "cluster": "--cluster",
}


def get_account(name: str, user: Any = None) -> CloudAccount:
    """The account named ``name`` among those ``user`` may see (all for the operator, ``user`` None)."""
    accounts = scoped(CloudAccount.objects.all(), user, account_path="")
    try:
        return accounts.get(name=name)
    except CloudAccount.DoesNotExist:
        known = ", ".join(accounts.values_list("name", flat=True)[:20]) or "none yet"
        raise CommandError(f"no account named {name!r} (accounts: {known})") from None


def input_error(exc: AccountInputError) -> CommandError:
    """The error as the command line says it: ``--regions: 'x' has an empty item; ...``."""
    option = OPTIONS.get(exc.field)
    return CommandError(f"{option}: {exc}" if option else str(exc))
