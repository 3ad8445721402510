"""Which permissions an account's credentials lack: a collection that stores nothing, its refusals in words.

``manage.py accounts test NAME --permissions`` runs it after the connection test. Every collector runs as in
a scan; what comes back is each refused call (a failed service or a setting of one resource) in the
words a scan would store, naming the permission (:func:`collectors.permissions.explain`): never the
exception's text. Where the provider lists through bulk inventory (Azure Resource Graph, Cloud Asset
Inventory, AWS Config), the collectors run through each service's own listing and the bulk query is tried on its own, so
that a refusal of either is named.
"""

from __future__ import annotations

from collectors import REGISTRY
from collectors.bulk import BulkInventory
from collectors.run import collect, plan
from posture.inventory.failures import account_secrets
from posture.inventory.models import CloudAccount
from posture.security import check_outbound_url

DENIED = "access was denied"


def refusals(account: CloudAccount) -> list[str]:
    """``iam in global: access was denied (...); the credentials lack iam:GetAccountSummary; ...``, one per refusal."""
    provider = REGISTRY.provider(account.provider)
    if account.endpoint_url:
        check_outbound_url(account.endpoint_url)
    target = account.target()
    provider.check_policy(target.credentials, target.policy)
    session = provider.connect(target)
    bulk: BulkInventory | None = getattr(session, "bulk", None)
    if bulk is not None:  # every service's own listing is checked too: the fallback when bulk inventory is refused
        session.bulk = None
    result = collect(provider, session, plan(provider, session, target), known_secrets=tuple(account_secrets(account)))
    found = [f"{e.service} in {e.region}: {e.error}" for e in result.errors if e.kind == "denied"]
    for failure in bulk.probe() if bulk is not None else []:
        if failure.kind == "denied":
            found.append(f"bulk inventory{' of ' + failure.scope if failure.scope else ''}: {failure.message}")
    for record in result.records:
        errors = record.config.get("_errors") if isinstance(record.config, dict) else None
        for setting, text in (errors or {}).items() if isinstance(errors, dict) else ():
            if isinstance(text, str) and text.startswith(DENIED):
                found.append(f"{record.service} {record.name} {setting}: {text}")
    return list(dict.fromkeys(found))
