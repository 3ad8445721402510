"""Bulk inventory: one paged query per account (or project) that lists many resource types at once.

Azure Resource Graph and Google Cloud Asset Inventory answer, in one query, what would otherwise take
one list call per resource type and scope; AWS Config answers, 100 resources a call, what S3 answers in a call
per setting of each bucket (one scope per region, :mod:`collectors.aws.config_inventory`).

A provider builds a :class:`BulkInventory` on its session with a ``query(scope)`` that yields ``(group, kind,
item)``; collectors ask :meth:`BulkInventory.items`
for one kind in one group and fall back to their own per-service listing when it answers ``None``. The query runs
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


Query = Callable[[str], Iterable[tuple[str, str, dict[str, Any]]]]  # scope -> (group, kind, item)
Answer = dict[str, dict[str, list[dict[str, Any]]]]  # group -> kind -> items


class BulkInventory:
    """The answers of a provider's bulk query, read once per scope on first use; thread-safe.

    A scope is what one query covers (an Azure account's subscriptions, a Google Cloud project or folder); a
    group is what a collector lists for (a subscription, a project). ``query(scope)`` yields ``(group, kind,
    item)``. ``kinds`` are the kinds the query asks for: any other kind answers ``None`` (not carried: fall
    back). ``groups(scope)`` names the groups a scope's answer is complete for, before it is read; when it
    names none, the groups are those the answer mentions (a group it does not mention answers ``None``).
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
        groups: Callable[[str], Iterable[str]] = lambda scope: (),
    ) -> None:
        self.provider = provider
        self.scopes = scopes
        self.kinds = frozenset(kinds)
        self.failures: list[BulkFailure] = []
        self.queries = 0  # scopes queried (for tests and benchmarks)
        self._query = query
        self._groups = groups
        self._classify = classify
        self._answers: dict[str, Answer | None] = {}
        self._taken: dict[str, set[tuple[str, str]]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def items(self, scope: str, group: str, kind: str) -> list[dict[str, Any]] | None:
        """Every item of ``kind`` in ``group``, or None: use the per-service API.

        Handed out once: the inventory keeps no item after its collector took it (a scan's memory holds each
        resource once), and a second ask for the same kind and group answers None.
        """
        if kind not in self.kinds:
            return None
        answer = self._load(scope)
        with self._lock:
            kinds = answer.get(group) if answer is not None else None
            if kinds is None or (group, kind) in self._taken.setdefault(scope, set()):
                return None
            self._taken[scope].add((group, kind))
            return kinds.pop(kind, [])

    def probe(self) -> list[BulkFailure]:
        """Query every scope a scan would (once each, as a scan does); the failures, if any."""
        for scope in self.scopes():
            self._load(scope)
        return list(self.failures)

    def _load(self, scope: str) -> Answer | None:
        with self._lock:
            lock = self._locks.setdefault(scope, threading.Lock())
        with lock:
            if scope not in self._answers:
                self._answers[scope] = self._read(scope)
            return self._answers[scope]

    def _read(self, scope: str) -> Answer | None:
        with self._lock:
            self.queries += 1
        try:
            answer: Answer = {group: {} for group in self._groups(scope)}
            for group, kind, item in self._query(scope):
                if kind in self.kinds:
                    answer.setdefault(group, {}).setdefault(kind, []).append(item)
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
        return answer


def inventory_for(
    provider: str,
    query: Query,
    kinds: Iterable[str],
    classify: Callable[[BaseException], str],
    scopes: Callable[[], Iterable[str]] = lambda: [""],
    groups: Callable[[str], Iterable[str]] = lambda scope: (),
) -> BulkInventory | None:
    """A :class:`BulkInventory`, or None when ``POSTURE_BULK_INVENTORY=off``."""
    if bulk_mode() == "off":
        return None
    return BulkInventory(provider, query, kinds, classify, scopes, groups)
