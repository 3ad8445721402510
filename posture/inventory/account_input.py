"""An account's input as the command line, the API and the page give it, read in one place.

Each caller passes the values under the :class:`~posture.inventory.accounts.AccountInput` field names;
``None`` means "not given". Regions may be ``"a,b"`` or a list, labels a list of ``KEY=VALUE``, one string
of them separated by spaces, or a dict; a schedule of ``none`` or ``manual`` is no schedule. Anything
malformed raises :class:`~posture.inventory.accounts.AccountInputError` naming its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.inventory.accounts import AccountInput, parse_labels, parse_regions
from posture.inventory.clusters import ClusterAccountInput
from posture.inventory.models import CloudAccount

NO_SCHEDULE = ("none", "manual")


def _text(value: Any) -> str:
    return str(value or "").strip()


def _schedule(value: Any) -> str:
    return "" if _text(value) in NO_SCHEDULE else _text(value)


def _credentials(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (values.get("credentials") or {}).items() if v not in (None, "")}


def _regions(value: Any) -> list[str]:
    return parse_regions(value.strip() if isinstance(value, str) else value)


def new_account(values: Mapping[str, Any]) -> AccountInput:
    """What :func:`~posture.inventory.accounts.create_account` takes."""
    return AccountInput(
        provider=_text(values.get("provider")),
        name=_text(values.get("name")),
        regions=_regions(values.get("regions")),
        endpoint_url=_text(values.get("endpoint_url")),
        credentials=_credentials(values),
        team=_text(values.get("team")),
        labels=parse_labels(values.get("labels")),
        schedule=_schedule(values.get("schedule")),
        external_id=_text(values.get("external_id")),
    )


def account_changes(values: Mapping[str, Any]) -> dict[str, Any]:
    """What :func:`~posture.inventory.accounts.update_account` takes: only the values given (credentials when any)."""
    given = {k: v for k, v in values.items() if v is not None}
    readers = {
        "regions": _regions,
        "endpoint_url": _text,
        "team": _text,
        "labels": parse_labels,
        "schedule": _schedule,
        "enabled": bool,
    }
    changes = {name: read(given[name]) for name, read in readers.items() if name in given}
    if _credentials(given):
        changes["credentials"] = _credentials(given)
    return changes


def new_cluster_account(values: Mapping[str, Any], via: CloudAccount) -> ClusterAccountInput:
    """What :func:`~posture.inventory.clusters.add_cluster_account` takes; no team given is the cloud account's."""
    return ClusterAccountInput(
        name=_text(values.get("name")),
        via=via,
        cluster=_text(values.get("cluster")),
        endpoint_url=_text(values.get("endpoint_url")),
        team=None if values.get("team") is None else _text(values.get("team")),
        labels=parse_labels(values.get("labels")),
        schedule=_schedule(values.get("schedule")),
    )
