"""The ledger as it stood at one moment, and answers computed from it, kept per revision."""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.chain import Link
from ledger.counting import Analysis, analyse
from ledger.counting.changes import revised
from ledger.records import Entry, Exchange, Period, Term
from ledger.revisions import advanced


@dataclass(frozen=True)
class State:
    """The ledger as it stood at one moment: what the pure computations take."""

    revision: int
    as_of: dt.datetime | None
    entries: tuple[Entry, ...]
    terms: tuple[Term, ...]
    exchanges: tuple[Exchange, ...] = ()
    moment: dt.datetime | None = None  # of the newest write it holds, when read as the newest
    # The revision of the state it moved on from, and the ids of the entries changed since.
    moved: tuple[int, tuple[str, ...]] | None = None

    def exchange_days(self) -> dict[str, Period]:
        """The days each exchange in force can have moved anyone on."""
        return {exchange.id: exchange.span for exchange in self.exchanges}

    def analysis(self, since: tuple[State, Analysis] | None = None) -> Analysis:
        """The entries in force, split into components and worked out; `since` an earlier
        state and its analysis, only what changed between them is worked out again."""
        if since is None:
            return analyse((e.statement for e in self.entries), self.exchange_days())
        earlier, analysis = since
        if self.moved is not None and self.moved[0] == earlier.revision:
            changed: Iterable[str] = self.moved[1]
        else:  # another pair of states: every entry is compared
            changed = {e.id for e in earlier.entries} | {e.id for e in self.entries}
        gone, added = [], []
        for entry_id in changed:
            now, was = _found(self.entries, entry_id), _found(earlier.entries, entry_id)
            if now is None:
                if was is not None:
                    gone.append(entry_id)
            elif was is None or (was is not now and was.statement != now.statement):
                added.append(now.statement)
        return revised(analysis, gone, added, self.exchange_days())


def moved_by(state: State, recorded: Sequence[tuple[Link, Any]]) -> State | None:
    """The newest state once the writes `recorded` (journal rows, each with the record it
    wrote, the same as read back: the chain's hashes hold them to it) follow `state`; None
    when one of them changed what no record says (a bulk import)."""
    entries, terms, exchanges = [], [], []
    for link, written in recorded:
        if isinstance(written, Entry):
            entries.append(written)
        elif isinstance(written, Term):
            terms.append(written)
        elif isinstance(written, Exchange):
            exchanges.append(written)
        elif link.action.startswith(("entry.", "term.", "exchange.")):
            return None
    moved, changed = advanced(state.entries, entries)
    last = recorded[-1][0]
    return State(
        revision=last.seq,
        as_of=None,
        entries=tuple(moved),
        terms=tuple(advanced(state.terms, terms)[0]),
        exchanges=tuple(advanced(state.exchanges, exchanges)[0]),
        moment=last.recorded_at,
        moved=(state.revision, tuple(changed)),
    )


def _found(entries: tuple[Entry, ...], entry_id: str) -> Entry | None:
    """The entry of that id, of entries in the order of their ids."""
    i = bisect.bisect_left(entries, entry_id, key=lambda e: e.id)
    return entries[i] if i < len(entries) and entries[i].id == entry_id else None


class Newest:
    """The newest state analysed and its analysis, per worker: where the next revision's
    analysis starts from, so a write's first answer works out only what the write reached."""

    def __init__(self) -> None:
        self._held: tuple[State, Analysis] | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> State | None:
        held = self._held
        return held[0] if held else None

    def analysis(self, state: State) -> Analysis:
        """The analysis of `state` (read as the newest), moved on from the one held."""
        # One at a time: a question asked while the warm-up works waits for its analysis
        # instead of working out the same again beside it.
        with self._lock:
            held = self._held
            if held is not None and held[0].revision == state.revision:
                return held[1]
            # From the held analysis, even to an older state (a request whose snapshot was
            # read before another's write): a few changes either way.
            found = state.analysis() if held is None else state.analysis(since=held)
            if held is None or held[0].revision < state.revision:
                self._held = (state, found)
            return found

    def hold(self, state: State, analysis: Analysis) -> None:
        """Hold a newer state's analysis (worked out by a write, once it has committed)."""
        with self._lock:
            if self._held is None or self._held[0].revision < state.revision:
                self._held = (state, analysis)


class Memo:
    """A small thread-safe LRU of computed answers, keyed by the ledger revision.

    With `max_bytes`, the bytes values it holds (rendered answers) stay within that budget
    too: the least recently used go first, and a value larger than the budget is not held.
    """

    def __init__(self, capacity: int, max_bytes: int | None = None) -> None:
        self.capacity, self.max_bytes = capacity, max_bytes
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            self.misses += 1
            return None

    def put(self, key: Hashable, value: Any) -> None:
        size = _size(value)
        if self.max_bytes is not None and size > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                self._bytes -= _size(self._items.pop(key))
            self._items[key] = value
            self._bytes += size
            while len(self._items) > self.capacity or (
                self.max_bytes is not None and self._bytes > self.max_bytes
            ):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= _size(dropped)


def _size(value: Any) -> int:
    if isinstance(value, bytes):
        return len(value)
    body = getattr(value, "body", None)  # an answer held by api.answer_cache
    return len(body) if isinstance(body, bytes) else 0
