"""The repository: every query of the ledger, turning rows into records and back.

`Repository` is one class made of one part per concept, each in its own module:

- `ledger.storage.source_records`: sources and their sentences;
- `ledger.storage.revision_records`: entries (with their rows of entries.csv), terms,
  exchanges and context notes;
- `ledger.storage.evidence_records`: the evidence behind them;
- `ledger.storage.access_records`: tokens and idempotency keys;
- `ledger.storage.rows`: the conversions between table rows and records they share.

This module keeps the journal's head, the row counts and the tables they span, and still
gives the names other modules import from it.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from sqlalchemy import Connection, func
from sqlmodel import Session, select

from ledger.storage.access_records import AccessRecords
from ledger.storage.revision_records import RevisionRecords
from ledger.storage.rows import ENTRY_COLUMNS, _entry, joined, split
from ledger.storage.source_records import SourceRecords
from ledger.storage.tables import (
    DayTotalRow,
    EntryRevisionRow,
    EntryRow,
    EvidenceRow,
    ExchangeRevisionRow,
    ExchangeRow,
    JournalRow,
    NoteRow,
    PublishedEntryRow,
    ReadModelRow,
    RevisionTokenRow,
    SentenceRow,
    SourceRow,
    TermRevisionRow,
    TermRow,
    TokenRow,
)

__all__ = [
    "ENTRY_COLUMNS",
    "TABLES",
    "WRITER_LOCK",
    "Repository",
    "_entry",
    "joined",
    "split",
]

TABLES = (
    SourceRow,
    SentenceRow,
    EntryRow,
    EntryRevisionRow,
    TermRow,
    TermRevisionRow,
    ExchangeRow,
    ExchangeRevisionRow,
    NoteRow,
    EvidenceRow,
    PublishedEntryRow,
    TokenRow,
    RevisionTokenRow,
    JournalRow,
    DayTotalRow,
    ReadModelRow,
)


# The statements of the hot paths (every write, every request's revision and token), built
# once: SQLAlchemy then finds their compiled form without rebuilding them. The others are
# beside the methods that run them.
HEAD = (
    select(JournalRow.__table__.c.seq, JournalRow.__table__.c.recorded_at)
    .order_by(JournalRow.__table__.c.seq.desc())
    .limit(1)
)


# PostgreSQL's transaction lock that makes a unit of work the only writer (Database.writing).
WRITER_LOCK = 7_346_002


class Repository(SourceRecords, RevisionRecords, AccessRecords):
    """Reads and appends ledger records within one session (one unit of work)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @cached_property
    def connection(self) -> Connection:
        """The unit of work's connection, asked of the session once: asking it for every
        statement costs as much CPU as the statement's own round trip."""
        return self.session.connection()

    # --- the journal: one row per write, in order -------------------------------------------

    def head(self) -> tuple[int, dt.datetime] | None:
        """The newest journal row's number (the ledger's revision) and moment."""
        row = self.connection.execute(HEAD).first()
        return None if row is None else (row[0], row[1])

    def counts(self) -> dict[str, int]:
        """Rows per table, for checks that a failed write left nothing behind."""
        return {
            table.__tablename__: self.session.exec(select(func.count()).select_from(table)).one()
            for table in TABLES
        }
