"""Entries, terms, exchanges and context notes: the revised records, each revision appended
with its evidence (`ledger.storage.evidence_records`) and read back oldest first, up to a
moment. Entries take Core statements rather than ORM objects, as every entry write and every
reading of the whole ledger goes through them. A mixin of
`ledger.storage.repository.Repository`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, insert
from sqlmodel import Session, col, select

from ledger.records import ID, Entry, Evidence, Exchange, Note, Term
from ledger.storage.evidence_records import EvidenceRecords
from ledger.storage.rows import (
    _at_once,
    _entry_at_once,
    _entry_from,
    _exchange,
    _note,
    _publish,
    _quoted,
    _revision_values,
    _term,
    joined,
)
from ledger.storage.tables import (
    EntryRevisionRow,
    EntryRow,
    EvidenceRow,
    ExchangeRevisionRow,
    ExchangeRow,
    NoteRow,
    PublishedEntryRow,
    TermRevisionRow,
    TermRow,
)

# The statements of every entry write, built once: SQLAlchemy then finds their compiled form
# without rebuilding them.
NEW_ENTRY = insert(EntryRow.__table__)
NEW_ENTRY_REVISION = insert(EntryRevisionRow.__table__).returning(EntryRevisionRow.__table__.c.id)


class RevisionRecords(EvidenceRecords):
    """Reads and appends entries, terms, exchanges and context notes (a part of `Repository`)."""

    session: Session
    connection: Connection  # Repository's: the unit of work's, asked of the session once

    # --- entries ------------------------------------------------------------------------------

    def entry_exists(self, entry_id: str) -> bool:
        return ID.match(entry_id) is not None and self.session.get(EntryRow, entry_id) is not None

    def lock_entry(self, entry_id: str) -> bool:
        """Lock an entry's identity row for a new revision (a no-op lock on SQLite)."""
        if not ID.match(entry_id):
            return False
        row = self.session.exec(
            select(EntryRow).where(EntryRow.id == entry_id).with_for_update()
        ).first()
        return row is not None

    def add_entry_revision(self, entry: Entry, first: bool, line: str) -> None:
        """Store an entry revision, its evidence and its row of entries.csv (`line`, rendered
        by the caller): on PostgreSQL as one statement, on SQLite as four."""
        # Core statements, not ORM objects: this is the path every entry write takes.
        connection = self.connection
        if connection.dialect.name == "postgresql":
            statement = _entry_at_once(first, len(entry.evidence))
            connection.execute(statement, {**_at_once(entry), "line": line})
            return
        if first:
            connection.execute(
                NEW_ENTRY,
                {"id": entry.id, "recorded_at": entry.recorded_at, "author": entry.author},
            )
        revision_id = connection.execute(NEW_ENTRY_REVISION, _revision_values(entry)).scalar_one()
        self._add_evidence(entry.evidence, entry_revision_id=revision_id)
        _publish(connection, [(revision_id, entry, line)])

    def add_entries_bulk(self, entries: Sequence[Entry], lines: Sequence[str]) -> None:
        """Insert many first revisions at once (Core executemany), evidence and their rows of
        entries.csv (`lines`, one per entry) included."""
        if not entries:
            return
        connection = self.connection
        connection.execute(
            insert(EntryRow.__table__),
            [{"id": e.id, "recorded_at": e.recorded_at, "author": e.author} for e in entries],
        )
        connection.execute(
            insert(EntryRevisionRow.__table__), [_revision_values(e) for e in entries]
        )
        revision_of = dict(
            connection.execute(
                select(EntryRevisionRow.entry_id, EntryRevisionRow.id).where(
                    col(EntryRevisionRow.entry_id).in_([e.id for e in entries]),
                    EntryRevisionRow.revision == 1,
                )
            ).all()
        )
        evidence = [
            {
                "entry_revision_id": revision_of[e.id],
                "term_revision_id": None,
                "exchange_revision_id": None,
                "note_id": None,
                "position": i,
                **_quoted(ev),
            }
            for e in entries
            for i, ev in enumerate(e.evidence)
        ]
        connection.execute(insert(EvidenceRow.__table__), evidence)
        _publish(
            connection,
            [(revision_of[e.id], e, line) for e, line in zip(entries, lines, strict=True)],
        )

    def entry_revisions(
        self,
        entry_id: str | None = None,
        as_of: dt.datetime | None = None,
        after: dt.datetime | None = None,
    ) -> list[Entry]:
        """Every revision (of one entry, or of all), oldest first, up to `as_of` (and only
        those recorded after `after`: what was written since a moment)."""
        r = EntryRevisionRow.__table__
        query = select(r)
        if entry_id is not None:
            query = query.where(r.c.entry_id == entry_id)
        if as_of is not None:
            query = query.where(r.c.recorded_at <= as_of)
        order = (r.c.entry_id, r.c.revision)
        if after is not None:
            # In the order of the index on recorded_at, which the query then uses: ordered by
            # entry, SQLite reads the whole table to find the few rows written since.
            query = query.where(r.c.recorded_at > after)
            order = (r.c.recorded_at, *order)
        # Core rows, not ORM objects: the whole ledger is read this way to compute its totals.
        result = self.connection.execute(query.order_by(*order))
        rows = result.all()
        at = {name: i for i, name in enumerate(result.keys())}
        if entry_id is None and after is None:
            evidence = self._evidence_of_all(as_of)
        else:
            evidence = self._evidence(
                EvidenceRow.entry_revision_id, [row[at["id"]] for row in rows]
            )
        build = _entry_from(at)
        return [build(row, evidence[row[at["id"]]]) for row in rows]

    def published_entry_rows(self) -> Iterator[tuple[str, int, dt.datetime, str]]:
        """Every stored row of entries.csv: (entry, revision, moment rendered for, line),
        streamed in batches."""
        r, p = EntryRevisionRow.__table__, PublishedEntryRow.__table__
        rows = self.connection.execution_options(yield_per=2_000).execute(
            select(r.c.entry_id, r.c.revision, p.c.recorded_at, p.c.line)
            .join(r, r.c.id == p.c.entry_revision_id)
            .order_by(r.c.entry_id, r.c.revision)
        )
        for row in rows:
            yield tuple(row)

    # --- terms --------------------------------------------------------------------------------

    def term_exists(self, term_id: str) -> bool:
        return ID.match(term_id) is not None and self.session.get(TermRow, term_id) is not None

    def lock_term(self, term_id: str) -> bool:
        """Lock a term's identity row for a new revision."""
        if not ID.match(term_id):
            return False
        row = self.session.exec(select(TermRow).where(TermRow.id == term_id).with_for_update())
        return row.first() is not None

    def add_term_revision(self, term: Term, first: bool) -> None:
        if first:
            self.session.add(TermRow(id=term.id, recorded_at=term.recorded_at, author=term.author))
            self.session.flush()
        row = TermRevisionRow(
            term_id=term.id,
            revision=term.revision,
            population=term.population,
            kind=term.kind,
            party=term.party,
            count=term.count,
            per=term.per,
            qualifier=term.qualifier,
            framework=term.framework,
            exchange=term.exchange,
            period_start=term.period.start,
            period_end=term.period.end,
            description=term.description,
            period_phrase=term.period_phrase,
            period_note=term.period_note,
            retracted=term.retracted,
            recorded_at=term.recorded_at,
            author=term.author,
            reason=term.reason,
        )
        self.session.add(row)
        self.session.flush()
        self._add_evidence(term.evidence, term_revision_id=row.id)

    def term_revisions(
        self,
        term_id: str | None = None,
        as_of: dt.datetime | None = None,
        after: dt.datetime | None = None,
    ) -> list[Term]:
        """Every revision (of one term, or of all), oldest first, up to `as_of` (and only
        those recorded after `after`)."""
        return self._revisions(TermRevisionRow, "term_id", term_id, as_of, _term, after)

    # --- exchanges ----------------------------------------------------------------------------

    def exchange_exists(self, exchange_id: str) -> bool:
        return (
            ID.match(exchange_id) is not None
            and self.session.get(ExchangeRow, exchange_id) is not None
        )

    def lock_exchange(self, exchange_id: str) -> bool:
        """Lock an exchange's identity row for a new revision."""
        if not ID.match(exchange_id):
            return False
        row = self.session.exec(
            select(ExchangeRow).where(ExchangeRow.id == exchange_id).with_for_update()
        )
        return row.first() is not None

    def add_exchange_revision(self, exchange: Exchange, first: bool) -> None:
        if first:
            self.session.add(
                ExchangeRow(
                    id=exchange.id, recorded_at=exchange.recorded_at, author=exchange.author
                )
            )
            self.session.flush()
        row = ExchangeRevisionRow(
            exchange_id=exchange.id,
            revision=exchange.revision,
            name=exchange.name,
            parties=joined(exchange.parties, ordered=True) or "",
            first_day=exchange.first_day,
            last_day=exchange.last_day,
            description=exchange.description,
            retracted=exchange.retracted,
            recorded_at=exchange.recorded_at,
            author=exchange.author,
            reason=exchange.reason,
        )
        self.session.add(row)
        self.session.flush()
        self._add_evidence(exchange.evidence, exchange_revision_id=row.id)

    def exchange_revisions(
        self,
        exchange_id: str | None = None,
        as_of: dt.datetime | None = None,
        after: dt.datetime | None = None,
    ) -> list[Exchange]:
        """Every revision (of one exchange, or of all), oldest first, up to `as_of` (and only
        those recorded after `after`)."""
        return self._revisions(
            ExchangeRevisionRow, "exchange_id", exchange_id, as_of, _exchange, after
        )

    def _revisions(
        self,
        table: Any,
        owner: str,
        owner_id: str | None,
        as_of: dt.datetime | None,
        record: Callable[[Any, tuple[Evidence, ...]], Any],
        after: dt.datetime | None = None,
    ) -> list[Any]:
        """The revisions of a term or an exchange (`owner`: the column naming it), oldest
        first, up to `as_of` and after `after`, each read as its record with its evidence."""
        query = select(table)
        if owner_id is not None:
            query = query.where(getattr(table, owner) == owner_id)
        if as_of is not None:
            query = query.where(table.recorded_at <= as_of)
        if after is not None:
            query = query.where(table.recorded_at > after)
        rows = list(self.session.exec(query.order_by(getattr(table, owner), table.revision)))
        column = getattr(EvidenceRow, owner.replace("_id", "_revision_id"))
        evidence = self._evidence(column, [row.id for row in rows])
        return [record(row, evidence[row.id]) for row in rows]

    # --- context notes ------------------------------------------------------------------------

    def note_exists(self, note_id: str) -> bool:
        return ID.match(note_id) is not None and self.session.get(NoteRow, note_id) is not None

    def add_note(self, note: Note) -> None:
        self.session.add(
            NoteRow(
                id=note.id,
                topic=note.topic,
                count=note.count,
                unit=note.unit,
                qualifier=note.qualifier,
                description=note.description,
                period_start=note.period.start if note.period else None,
                period_end=note.period.end if note.period else None,
                recorded_at=note.recorded_at,
                author=note.author,
            )
        )
        self.session.flush()
        self._add_evidence(note.evidence, note_id=note.id)

    def notes(self, as_of: dt.datetime | None = None) -> list[Note]:
        query = select(NoteRow)
        if as_of is not None:
            query = query.where(NoteRow.recorded_at <= as_of)
        rows = list(self.session.exec(query.order_by(NoteRow.recorded_at, NoteRow.id)))
        evidence = self._evidence(EvidenceRow.note_id, [row.id for row in rows])
        return [_note(row, evidence[row.id]) for row in rows]
