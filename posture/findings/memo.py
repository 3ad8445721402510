"""A small process-local memo for reads whose key names everything they depend on.

Compliance summaries and trends are read from snapshots that never change once their scan has
finished, so "which scans are the latest in this scope" (one small query) is enough to know whether
an earlier answer still holds. The time limit bounds what the key cannot see (a retention purge).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    def __init__(self, size: int = 512, seconds: float = 60.0) -> None:
        self.size, self.seconds = size, seconds
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now - hit[0] < self.seconds:
                self._items.move_to_end(key)
                return hit[1]
        value = compute()  # outside the lock: two threads may both compute a missing answer, and agree
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def has(self, key: Hashable) -> bool:
        """Whether ``get`` would answer ``key`` without computing (a hint: it may expire just after)."""
        with self._lock:
            hit = self._items.get(key)
            return hit is not None and time.monotonic() - hit[0] < self.seconds

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
