"""A unit of work: the store as one use case sees it, over one session.

A use case opens one (`Ledger.reading()` or `Ledger.writing()`) and asks its parts; none of
them builds a repository of its own, and what the unit writes commits together or not at all.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from sqlmodel import Session

from ledger.storage.day_totals import DayTotals
from ledger.storage.exports import Exports
from ledger.storage.journal import Journal
from ledger.storage.repository import Repository


class Unit:
    """One unit of work's repositories, sharing its session (and so its transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @cached_property
    def records(self) -> Repository:
        """Sources, entries, terms, exchanges, notes and tokens: read and appended."""
        return Repository(self.session)

    @cached_property
    def journal(self) -> Journal:
        """One row per write, hash-chained."""
        return Journal(self.records)

    @cached_property
    def exports(self) -> Exports:
        """The published tables, read in batches."""
        return Exports(self.session)

    @cached_property
    def day_totals(self) -> DayTotals:
        """The read model of the totals: each component's part of each day."""
        return DayTotals(self.session)

    def now(self) -> dt.datetime:
        """Now, but never before the last write, so `as_of` always sees writes in order (a
        writing unit is the only writer: the head it reads stays the head until it commits)."""
        head = self.records.head()
        return after(head[1] if head else None)

    def revision_at(self, as_of: dt.datetime | None) -> int:
        """The seq of the newest journal row recorded by `as_of` (now when None); 0 before
        any."""
        if as_of is None:
            head = self.records.head()
            return head[0] if head else 0
        link = self.journal.head(as_of)
        return link.seq if link else 0


def after(last: dt.datetime | None) -> dt.datetime:
    """Now, or a microsecond after `last` when the clock has not passed it."""
    now = dt.datetime.now(dt.UTC)
    return last + dt.timedelta(microseconds=1) if last is not None and last >= now else now
