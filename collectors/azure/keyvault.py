"""Key Vault: vault settings (management plane), each vault's diagnostic settings (AuditEvent logs), and the
attributes of its keys, secrets and certificates (data plane).

The data plane (``https://{vault}.vault.azure.net``, api-version 7.5, its own token audience) lists keys,
secrets and certificates with their attributes only (``enabled``, ``exp``, ``nbf``; never a secret's value),
then reads each enabled key's rotation policy and each enabled certificate's policy. A vault that refuses
Posture there (its firewall, or no data-plane role or access policy) keeps its management-plane record:
what could not be read is named in ``_errors`` (``keys``, ``secrets``, ``certificates``,
``rotationPolicies``, ``certificatePolicies``), so the rules say "could not read", never pass or fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

from collectors.azure.aks import diagnostic_settings
from collectors.azure.common import map_details, per_subscription, record, scrub, secondary
from collectors.azure.inventory import listed
from collectors.azure.session import AzureSession, RestClient, Subscription
from collectors.failures import StatedError
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

VAULT_API = {"api-version": "7.5"}
OBJECT_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")  # Key Vault's rule for key, secret and certificate names
T = TypeVar("T")


class VaultRefused(PermissionError, StatedError):
    """The vault's data plane refused Posture: said in words that tell its firewall from a missing grant."""


def _refusal(exc: BaseException, rbac: bool) -> VaultRefused | None:
    status = getattr(exc, "status_code", None)
    if status != 403:
        return None
    error = getattr(exc, "error", None)
    inner = (getattr(error, "innererror", None) or {}).get("code") if error is not None else None
    if inner == "ForbiddenByFirewall":
        return VaultRefused(
            "the vault's firewall refused Posture's address (ForbiddenByFirewall, HTTP 403): the data plane answers"
            " only the networks the vault allows"
        )
    if not rbac:
        return VaultRefused(
            "access was denied (HTTP 403): the vault uses access policies; give Posture's principal one with keys"
            " List and Get Rotation Policy, secrets List, certificates List and Get"
        )
    return None


def _guarded(call: Callable[[], T], rbac: bool) -> T:
    try:
        return call()
    except Exception as exc:
        refusal = _refusal(exc, rbac)
        if refusal is not None:
            raise refusal from exc
        raise


def object_name(item: dict[str, Any], key: str) -> str | None:
    """``NAME`` of ``https://v.vault.azure.net/keys/NAME`` (``key``: kid or id); None if it is no valid name."""
    name = str(item.get(key) or "").rstrip("/").rsplit("/", 1)[-1]
    return name if OBJECT_NAME.match(name) else None


def _enabled(item: dict[str, Any]) -> bool:
    return (item.get("attributes") or {}).get("enabled") is not False


def _with_detail(
    rest: RestClient,
    items: list[dict[str, Any]],
    id_key: str,
    url: Callable[[str], str],
    detail_key: str,
    wanted: Callable[[dict[str, Any]], bool],
    rbac: bool,
) -> tuple[list[dict[str, Any]], BaseException | None]:
    """``items`` with each wanted one's detail (its policy) under ``detail_key``; the first failure, if any."""
    failure: BaseException | None = None
    out = []
    for item in items:
        entry = scrub(dict(item))
        name = object_name(item, id_key)
        if name and wanted(item) and failure is None:
            try:
                entry[detail_key] = _guarded(partial(rest.get, url(name), VAULT_API), rbac)
            except Exception as exc:  # the rest of the vault is still worth reading
                failure = exc
        out.append(entry)
    return out, failure


def _raise(failure: BaseException | None) -> None:
    if failure is not None:
        raise failure


def _data_plane(session: AzureSession, config: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    rbac = (config.get("properties") or {}).get("enableRbacAuthorization") is True
    try:
        base = session.vault_url(str(config.get("name") or ""))
    except ValueError:
        for key in ("keys", "secrets", "certificates"):
            errors[key] = "the vault's name is not a Key Vault name: its data plane was not called"
        return {}
    rest = session.rest("vault")

    def listing(kind: str) -> list[dict[str, Any]]:
        return _guarded(lambda: rest.list(f"{base}/{kind}", VAULT_API), rbac)

    found: dict[str, Any] = {}
    keys = secondary(errors, "keys", lambda: listing("keys"))
    if keys is not None:
        found["_keys"], failure = _with_detail(
            rest,
            keys,
            "kid",
            lambda n: f"{base}/keys/{n}/rotationpolicy",
            "_rotationPolicy",
            lambda k: _enabled(k) and not k.get("managed"),
            rbac,
        )
        secondary(errors, "rotationPolicies", lambda: _raise(failure))
    secrets = secondary(errors, "secrets", lambda: listing("secrets"))
    if secrets is not None:
        found["_secrets"] = [scrub(dict(s)) for s in secrets]
    certificates = secondary(errors, "certificates", lambda: listing("certificates"))
    if certificates is not None:
        found["_certificates"], failure = _with_detail(
            rest, certificates, "id", lambda n: f"{base}/certificates/{n}/policy", "_policy", _enabled, rbac
        )
        secondary(errors, "certificatePolicies", lambda: _raise(failure))
    return found


def _vault(session: AzureSession, sub: Subscription, config: dict[str, Any]) -> ResourceRecord:
    errors: dict[str, str] = {}
    settings = secondary(
        errors, "diagnosticSettings", lambda: diagnostic_settings(session, sub.subscription_id, config["id"])
    )
    extra: dict[str, Any] = {"_diagnosticSettings": settings}
    extra.update(_data_plane(session, config, errors))
    if errors:
        extra["_errors"] = errors
    return record("keyvault", "vault", config, **extra)


def _vault_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("keyvault", sub.subscription_id)
    # vaults.list() goes through the generic /resources endpoint (id, name, type only): list_by_subscription has all.
    vaults = listed(session, sub, "Microsoft.KeyVault/vaults", client.vaults.list_by_subscription)
    yield from map_details(lambda config: _vault(session, sub, config), vaults)


@REGISTRY.collector(
    "azure",
    "keyvault",
    regional=False,
    permissions=(
        "Microsoft.KeyVault/vaults/read",
        "Microsoft.Insights/diagnosticSettings/read",
        "Microsoft.KeyVault/vaults/keys/read",
        "Microsoft.KeyVault/vaults/keyrotationpolicies/read",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        "Microsoft.KeyVault/vaults/certificates/read",
    ),
)
def collect_keyvault(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _vault_records(session, sub))
