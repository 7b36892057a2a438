"""What every use case shares: the database, its units of work, and what is kept in memory."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ledger.records import ID, Exchange, Source
from ledger.state import Memo, Newest
from ledger.storage.database import Database
from ledger.storage.unit import Unit

SYSTEM = "exchange-ledger"
SOURCES_KEPT = 64


def new_id(prefix: str) -> str:
    """A fresh public id: a short prefix naming the kind of record, then 64 random bits."""
    return f"{prefix}_{secrets.token_hex(8)}"


class LedgerBase:
    """The ledger over one database: its units of work and what it keeps in memory."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._memo = Memo(capacity=256)
        # The newest state analysed, and its analysis: where the next revision's starts from.
        self._newest = Newest()
        # Sources never change once stored (a source is its text's hash), so evidence is
        # checked against a kept copy instead of reading the report again for every write.
        self._sources = Memo(capacity=SOURCES_KEPT)

    @contextmanager
    def reading(self, snapshot: bool = True) -> Iterator[Unit]:
        """A unit of work that only reads, from one snapshot (`Database.reading`)."""
        with self.database.reading(snapshot) as session:
            yield Unit(session)

    @contextmanager
    def writing(self) -> Iterator[Unit]:
        """A unit of work that writes: all of it commits, or none (`Database.writing`)."""
        with self.database.writing() as session:
            yield Unit(session)

    @contextmanager
    def one_unit(self) -> Iterator[None]:
        """The writes made inside are one unit of work, under the writer lock: all of them
        commit, or none (each write joins the unit)."""
        with self.database.writing():
            yield

    def source_finder(self) -> Callable[[str], Source | None]:
        """Finds a stored source by id, from the kept copies when it can."""

        def find(source_id: str) -> Source | None:
            found = self._sources.get(source_id)
            if found is None:
                with self.reading() as unit:
                    found = unit.records.source(source_id)
                if found is not None:
                    self._sources.put(source_id, found)
            return found

        return find

    def exchange_finder(self) -> Callable[[str], Exchange | None]:
        """Finds an exchange as it stands now (None if unknown or retracted)."""

        def find(exchange_id: str) -> Exchange | None:
            if not ID.match(exchange_id):
                return None
            with self.reading() as unit:
                history = unit.records.exchange_revisions(exchange_id)
            return history[-1] if history and not history[-1].retracted else None

        return find
