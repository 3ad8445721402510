"""The stored paths a user may see, filtered: shared by the page, the API, the command line and the overview count.

A path crosses accounts (a cluster and its cloud); a user sees it only when every account it crosses is theirs
to see (:mod:`posture.access.scoping`), so a path never reveals another team's resources.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects

from posture.access.scoping import account_filter
from posture.inventory.models import CloudAccount
from posture.paths.items import TARGET_KINDS
from posture.paths.models import ExposurePath


class PathFilterError(ValueError):
    """A filter value that cannot be used; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PathFilters:
    account: str = ""
    target_kind: str = ""
    min_rank: int | None = None
    state: str = "open"  # open, closed or all

    @classmethod
    def parse(cls, params: Any) -> PathFilters:
        target_kind = str(params.get("target_kind") or "")
        if target_kind and target_kind not in TARGET_KINDS:
            raise PathFilterError("target_kind", f"one of {', '.join(TARGET_KINDS)}")
        raw_rank = str(params.get("min_rank") or "").strip()
        if raw_rank and not (raw_rank.isascii() and raw_rank.isdigit() and len(raw_rank) <= 4):
            raise PathFilterError("min_rank", "a whole number from 0 to 9999")
        state = str(params.get("state") or "open")
        if state not in ("open", "closed", "all"):
            raise PathFilterError("state", "one of open, closed, all")
        account = str(params.get("account") or "")[:100]
        return cls(account, target_kind, int(raw_rank) if raw_rank else None, state)


def visible_paths(user: Any) -> QuerySet[ExposurePath]:
    """Every stored path whose accounts the user may all see; ``None`` is the operator at the command line."""
    paths = ExposurePath.objects.all()
    if user is None:
        return paths
    q = account_filter(user)
    return paths if q is None else paths.exclude(accounts__in=CloudAccount.objects.exclude(q))


def filtered_paths(user: Any, filters: PathFilters) -> QuerySet[ExposurePath]:
    paths = visible_paths(user)
    if filters.state == "open":
        paths = paths.filter(closed_at__isnull=True)
    elif filters.state == "closed":
        paths = paths.filter(closed_at__isnull=False)
    if filters.account:
        paths = paths.filter(accounts__name=filters.account)
    if filters.target_kind:
        paths = paths.filter(target_kind=filters.target_kind)
    if filters.min_rank is not None:
        paths = paths.filter(rank__gte=filters.min_rank)
    return paths


def open_path_count(user: Any) -> int:
    """How many exposure paths are open now, of those the user may see: the overview's figure, counted by the
    same filter the paths page and the API list with."""
    return filtered_paths(user, PathFilters(state="open")).count()


def path_rows(paths: Iterable[ExposurePath]) -> list[dict[str, Any]]:
    """Paths as plain JSON (the API's items and the exports): one query for them, one for their accounts."""
    found = list(paths)
    prefetch_related_objects(found, "accounts")
    rows = []
    for p in found:
        rows.append(
            {
                "id": p.pk,
                "key": p.key,
                "title": p.title,
                "target_kind": p.target_kind,
                "rank": p.rank,
                "reach": p.reach,
                "entries": p.entries,
                "accounts": sorted(a.name for a in p.accounts.all()),
                "opened_at": p.opened_at.isoformat(),
                "closed_at": p.closed_at.isoformat() if p.closed_at else None,
                "hops": p.hops,
            }
        )
    return rows
