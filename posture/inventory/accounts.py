"""Adding, changing, testing and removing cloud accounts: one place for the CLI, API and pages.

Every function validates all input before writing anything and raises :class:`AccountInputError`
with a one-line message saying what is wrong, and the field it is about (``error.field``): the page
marks that field, the API answers ``{field: [message]}``, the command line names the option.

Who gives credentials decides what they may make the server do (:func:`credential_policy`): only
the operator (the command line without ``--as-user``) may name server files or use the allow-listed
kubeconfig plugins; every cluster server goes through the outbound URL check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from collectors import REGISTRY
from collectors.registry import InvalidCredentials, UnknownProvider
from posture.access.audit import record
from posture.inventory.failures import failure_message
from posture.inventory.models import NAME_VALIDATOR, CloudAccount, Schedule, credential_policy
from posture.security import UnsafeURL, check_outbound_url


class AccountInputError(ValueError):
    """Bad account input. ``field`` is the :class:`AccountInput` field it is about ("" for the account as a whole,
    e.g. a refused removal); the message does not repeat it."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def parse_regions(raw: str | list[str] | None) -> list[str]:
    """``"us-east-1,eu-west-1"`` -> a list; empty items or spaces are an error."""
    if raw is None or raw == "" or raw == []:
        return []
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    regions = [str(item).strip() for item in items]
    if any(not r for r in regions):
        raise AccountInputError(f"{raw!r} has an empty item; give names separated by commas", "regions")
    return list(dict.fromkeys(regions))


def parse_labels(items: str | list[str] | dict[str, str] | None) -> dict[str, str]:
    """``["env=prod", ...]``, ``"env=prod team=x"`` (separated by spaces) or a dict -> a dict."""
    if isinstance(items, dict):
        return {str(k): str(v) for k, v in items.items()}
    labels = {}
    for item in items.split() if isinstance(items, str) else items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AccountInputError(f"{item!r} is not KEY=VALUE", "labels")
        labels[key.strip()] = value.strip()
    return labels


def check_provider(name: str) -> Any:
    try:
        return REGISTRY.provider(name)
    except UnknownProvider as exc:
        raise AccountInputError(str(exc), "provider") from None


def check_common(provider: Any, regions: list[str], endpoint_url: str, schedule: str) -> None:
    try:
        provider.validate_regions(regions)
    except ValueError as exc:
        raise AccountInputError(str(exc), "regions") from None
    if endpoint_url:
        try:
            URLValidator(schemes=["http", "https"])(endpoint_url)
        except ValidationError:
            raise AccountInputError(f"{endpoint_url!r} is not an http(s) URL", "endpoint_url") from None
        try:
            check_outbound_url(endpoint_url)
        except UnsafeURL as exc:
            raise AccountInputError(str(exc), "endpoint_url") from None
    if schedule not in Schedule.values:
        raise AccountInputError(f"{schedule!r} must be one of: none, hourly, daily, weekly", "schedule")


def is_operator(user: Any, source: str) -> bool:
    """The command line run without ``--as-user``: the person who runs the server."""
    return source == "cli" and user is None


def _check_credentials(provider: Any, credentials: dict[str, Any], operator: bool) -> dict[str, Any]:
    """The given credentials without blanks; what the policy forbids is refused before any file is read."""
    credentials = {k: v for k, v in credentials.items() if v not in (None, "")}
    try:
        provider.check_policy(credentials, credential_policy(operator))
        provider.validate_credentials(credentials)
    except InvalidCredentials as exc:
        raise AccountInputError(str(exc), "credentials") from None
    return credentials


@dataclass
class AccountInput:
    provider: str
    name: str
    regions: list[str]
    endpoint_url: str = ""
    credentials: dict[str, Any] | None = None
    team: str = ""
    labels: dict[str, str] | None = None
    schedule: str = ""
    external_id: str = ""


def check_new_name(name: str) -> None:
    """A valid name no account has yet; AccountInputError otherwise."""
    try:
        NAME_VALIDATOR(name)
    except ValidationError:
        raise AccountInputError(f"{name!r}: {NAME_VALIDATOR.message}", "name") from None
    if CloudAccount.objects.filter(name=name).exists():
        raise AccountInputError(f"an account named {name!r} exists already", "name")


def create_account(data: AccountInput, *, user: Any = None, source: str = "web") -> CloudAccount:
    provider = check_provider(data.provider)
    check_new_name(data.name)
    check_common(provider, data.regions, data.endpoint_url, data.schedule)
    operator = is_operator(user, source)
    credentials = _check_credentials(provider, data.credentials or {}, operator)
    account = CloudAccount(
        provider=provider.name,
        name=data.name,
        regions=data.regions,
        endpoint_url=data.endpoint_url,
        team=data.team,
        labels=data.labels or {},
        scan_schedule=data.schedule,
        external_id=data.external_id,
    )
    account.set_credentials(credentials, by_operator=operator)
    with transaction.atomic():
        account.save()
        record("account.create", account, user=user, source=source, detail=safe_detail(account, credentials))
    return account


def update_account(
    account: CloudAccount, changes: dict[str, Any], *, user: Any = None, source: str = "web"
) -> CloudAccount:
    """Apply only the given fields; ``credentials`` replaces the stored set when given."""
    provider = check_provider(account.provider)
    regions = changes.get("regions", account.regions)
    endpoint_url = changes.get("endpoint_url", account.endpoint_url)
    schedule = changes.get("schedule", account.scan_schedule)
    check_common(provider, regions, endpoint_url, schedule)
    credentials = None
    if changes.get("credentials") and account.via_id:
        raise AccountInputError(
            f"{account.name} borrows the credentials of {account.via.name}: change those, or remove {account.name} "
            "and add the cluster with a kubeconfig",
            "credentials",
        )
    if changes.get("credentials"):
        credentials = _check_credentials(provider, changes["credentials"], is_operator(user, source))
    account.regions, account.endpoint_url, account.scan_schedule = regions, endpoint_url, schedule
    for field in ("team", "labels", "enabled"):
        if field in changes:
            setattr(account, field, changes[field])
    if credentials is not None:
        account.set_credentials(credentials, by_operator=is_operator(user, source))
    with transaction.atomic():
        account.save()
        record("account.update", account, user=user, source=source, detail=safe_detail(account, credentials or {}))
    return account


def remove_account(account: CloudAccount, *, user: Any = None, source: str = "web") -> dict[str, int]:
    """Remove the account and everything scanned from it; refused while clusters are scanned via it."""
    children = list(account.via_clusters.values_list("name", flat=True))
    if children:
        raise AccountInputError(
            f"{account.name} is the identity of cluster account(s) {', '.join(children)}: remove those first"
        )
    counts = {
        "resources": account.resources.count(),
        "findings": account.findings.count(),
        "scans": account.scans.count(),
    }
    with transaction.atomic():
        record("account.remove", account, user=user, source=source, detail=counts)
        account.delete()
    return counts


def test_account(account: CloudAccount, *, user: Any = None, source: str = "web") -> str:
    """One cheap call with the stored credentials; records the provider's own id. Raises on failure."""
    provider = check_provider(account.provider)
    try:
        if account.endpoint_url:
            check_outbound_url(account.endpoint_url)
        target = account.target()
        provider.check_policy(target.credentials, target.policy)
        identity = provider.identify(provider.connect(target))
    except Exception as exc:
        raise AccountInputError(
            f"{account.name}: {failure_message(account, exc, 'the credentials do not work')}"
        ) from None
    account.external_id = identity.external_id
    account.verified_at = timezone.now()
    with transaction.atomic():
        account.save(update_fields=["external_id", "verified_at", "updated_at"])
        record("account.test", account, user=user, source=source, detail={"external_id": identity.external_id})
    return identity.display or identity.external_id


def safe_detail(account: CloudAccount, credentials: dict[str, Any]) -> dict[str, Any]:
    """What changed, with credential names but never their values."""
    return {
        "provider": account.provider,
        "regions": account.regions,
        "endpoint_url": account.endpoint_url,
        "team": account.team,
        "credential_fields": sorted(credentials),
    }
