"""Bulk inventory: one paged query per account (or project) that lists many resource types at once.

Azure Resource Graph and Google Cloud Asset Inventory answer, in one query, what would otherwise take
one list call per resource type and scope. A provider builds a :class:`BulkInventory` on its session
with a ``query(scope)`` that yields ``(kind, item)`` pairs; collectors ask :meth:`BulkInventory.items`
for one kind and fall back to their own per-service listing when it answers ``None``. The query runs
once per scope, on the first ask (the other collectors' threads wait for it), and a failure is
classified, logged and kept in :attr:`BulkInventory.failures`: every later ask answers ``None``, so the
scan goes on through the per-service APIs and loses nothing.

``POSTURE_BULK_INVENTORY``: ``auto`` (the default: use bulk inventory, fall back when it fails) or
``off`` (per-service listings only).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from collectors.failures import log_failure
from collectors.permissions import explain
from posture.env import env_choice

log = logging.getLogger(__name__)
SETTING = "POSTURE_BULK_INVENTORY"
MODES = ("auto", "off")


def bulk_mode() -> str:
    """``auto`` or ``off``; a SettingError naming the variable for anything else."""
    return env_choice(SETTING, "auto", MODES)


@dataclass(frozen=True, slots=True)
class BulkFailure:
    """Why the bulk query of one scope could not be used: a :class:`CollectionError` kind and the words for it."""

    scope: str
    kind: str
    message: str


Query = Callable[[str], Iterable[tuple[str, dict[str, Any]]]]


class BulkInventory:
    """The answers of a provider's bulk query, read once per scope on first use; thread-safe.

    ``kinds`` are the kinds the query asks for: any other kind answers ``None`` (not carried: fall back).
    ``classify`` is the provider's :meth:`~collectors.registry.Provider.classify_error`; ``scopes()`` the
    scopes a scan asks about (for :meth:`probe`).
    """

    def __init__(
        self,
        provider: str,
        query: Query,
        kinds: Iterable[str],
        classify: Callable[[BaseException], str],
        scopes: Callable[[], Iterable[str]] = lambda: [""],
    ) -> None:
        self.provider = provider
        self.scopes = scopes
        self.kinds = frozenset(kinds)
        self.failures: list[BulkFailure] = []
        self.queries = 0  # scopes queried (for tests and benchmarks)
        self._query = query
        self._classify = classify
        self._scopes: dict[str, dict[str, list[dict[str, Any]]] | None] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def items(self, scope: str, kind: str) -> list[dict[str, Any]] | None:
        """Every item of ``kind`` in ``scope`` (copies: callers may change them), or None: use the per-service API."""
        if kind not in self.kinds:
            return None
        found = self._load(scope)
        if found is None:
            return None
        return [dict(item) for item in found.get(kind, [])]

    def probe(self) -> list[BulkFailure]:
        """Query every scope a scan would (once each, as a scan does); the failures, if any."""
        for scope in self.scopes():
            self._load(scope)
        return list(self.failures)

    def _load(self, scope: str) -> dict[str, list[dict[str, Any]]] | None:
        with self._lock:
            lock = self._locks.setdefault(scope, threading.Lock())
        with lock:
            if scope not in self._scopes:
                self._scopes[scope] = self._read(scope)
            return self._scopes[scope]

    def _read(self, scope: str) -> dict[str, list[dict[str, Any]]] | None:
        with self._lock:
            self.queries += 1
        found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in self.kinds}
        try:
            for kind, item in self._query(scope):
                if kind in found:
                    found[kind].append(item)
        except Exception as exc:  # bulk inventory is an optimisation: the per-service APIs answer instead
            kind = self._classify(exc)
            message = explain(self.provider, exc, kind)
            with self._lock:
                self.failures.append(BulkFailure(scope, kind, message))
            where = f" for {scope}" if scope else ""
            log_failure(
                log,
                logging.WARNING,
                f"{self.provider}: bulk inventory{where} is unavailable ({kind}): {message};"
                " the per-service APIs are used instead",
                exc,
            )
            return None
        return found


def inventory_for(
    provider: str,
    query: Query,
    kinds: Iterable[str],
    classify: Callable[[BaseException], str],
    scopes: Callable[[], Iterable[str]] = lambda: [""],
) -> BulkInventory | None:
    """A :class:`BulkInventory`, or None when ``POSTURE_BULK_INVENTORY=off``."""
    if bulk_mode() == "off":
        return None
    return BulkInventory(provider, query, kinds, classify, scopes)
