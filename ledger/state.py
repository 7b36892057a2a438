"""The ledger as it stood at one moment, and answers computed from it, kept per revision."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ledger.records import Entry, Term


@dataclass(frozen=True)
class State:
    """The ledger as it stood at one moment: what the pure computations take."""

    revision: int
    as_of: dt.datetime | None
    entries: tuple[Entry, ...]
    terms: tuple[Term, ...]


class Memo:
    """A small thread-safe LRU of computed answers, keyed by the ledger revision."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.misses = 0

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            self.misses += 1
            return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
