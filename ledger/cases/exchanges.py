"""Exchanges: an arrangement's name, parties, days and evidence, revised by appending."""

from __future__ import annotations

import datetime as dt

from ledger.cases.figures import Figures
from ledger.cases.revising import Revisable, Revising
from ledger.drafts import parse_exchange
from ledger.errors import StateConflict
from ledger.records import Exchange, Token
from ledger.selection import Selection
from ledger.storage.repository import Repository


def _check_unnamed(ledger: Figures, exchange_id: str) -> None:
    """An exchange that entries or terms in force name stays: they would lose its days."""
    state = ledger.state()
    naming = [e.id for e in state.entries if e.exchange == exchange_id]
    naming += [t.id for t in state.terms if t.exchange == exchange_id]
    if naming:
        shown = ", ".join(naming[:5]) + (" and more" if len(naming) > 5 else "")
        raise StateConflict.one(
            "id",
            f"exchange {exchange_id} is named by {len(naming)} record(s) in force "
            f"({shown}); revise or retract them first.",
        )


EXCHANGES = Revisable(
    "exchange",
    "exc",
    lambda data, find_source, _find_exchange: parse_exchange(data, find_source),
    Repository.exchange_exists,
    Repository.lock_exchange,
    Repository.add_exchange_revision,
    Repository.exchange_revisions,
    retractable=_check_unnamed,
)


class Exchanges(Revising):
    """Exchanges, revised by appending."""

    def add_exchange(
        self,
        data: object,
        author: str,
        exchange_id: str | None = None,
        by: Token | None = None,
    ) -> Exchange:
        """Record an exchange (revision 1): its name, parties, days and evidence."""
        return self._add(EXCHANGES, data, author, exchange_id, by)

    def revise_exchange(
        self,
        exchange_id: str,
        data: object,
        author: str,
        reason: object,
        expected_revision: int | None = None,
        by: Token | None = None,
    ) -> Exchange:
        """Append a revision of an exchange (its last day, once known)."""
        return self._revise(EXCHANGES, exchange_id, data, author, reason, expected_revision, by)

    def retract_exchange(
        self,
        exchange_id: str,
        author: str,
        reason: object,
        expected_revision: int | None = None,
        by: Token | None = None,
    ) -> Exchange:
        """Append a retraction of an exchange no entry or term in force names."""
        return self._revise(EXCHANGES, exchange_id, None, author, reason, expected_revision, by)

    def exchange(self, exchange_id: str, as_of: dt.datetime | None = None) -> Exchange:
        return self._history(EXCHANGES, exchange_id, as_of)[-1]

    def exchange_history(
        self, exchange_id: str, as_of: dt.datetime | None = None
    ) -> list[Exchange]:
        return self._history(EXCHANGES, exchange_id, as_of)

    def exchanges(self, as_of: dt.datetime | None = None) -> list[Exchange]:
        """The exchanges in force at `as_of`."""
        return list(self.state(as_of).exchanges)

    def exchanges_page(
        self, as_of: dt.datetime | None, selection: Selection, offset: int, limit: int
    ) -> tuple[int, list[Exchange]]:
        """As `entries_page`, for exchanges (few, so read from the ledger as it stood)."""
        found = self.exchanges(as_of)
        if selection.source is not None:
            found = [e for e in found if selection.source in e.sources]
        return len(found), found[offset : offset + limit]
