"""The queries behind the published tables: one set-based query per table, streamed from one
cursor (server-side on PostgreSQL) in large batches, as plain tuples rather than ORM objects.

entries.csv is read from `published_entry_row`: each entry revision's row, rendered once when
the revision is written (by `ledger.publication.entry_line`, which the caller passes in: this
module renders nothing itself). A revision and its evidence never change, so the stored row
never goes stale; exporting a million entries is then reading a million strings instead of
joining their evidence and writing every cell again. A revision without a stored row is
rendered as it is read (`line_of`), so the file is the same either way. Changing how
entries.csv is written means emptying the table in a migration; `Ledger.migrate` then stores
every row again (`Exports.fill_published_rows`). tests/unit/test_publication.py pins the
rendering so that such a change cannot pass unnoticed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Integer, Select, case, func, insert, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from ledger.records import Entry, Evidence
from ledger.selection import Selection
from ledger.storage.repository import ENTRY_COLUMNS, Repository, _entry
from ledger.storage.tables import (
    EntryRevisionRow,
    EvidenceRow,
    PublishedEntryRow,
    SentenceRow,
    SourceRow,
)

BATCH = 5_000  # rows per fetch: about a megabyte of entries.csv
SLICE = 5_000  # ids per IN (...): a driver binds at most 65,535 parameters, SQLite often fewer

# Filters on one value per entry, and on lists stored joined by ';' (an entry matches the
# filter when its list holds the value: a dual national under each nationality).
EQUAL = ("population", "party", "framework", "exchange")
LISTED = ("kind", "nationality", "batch")
RECORD_COLUMNS = ("id", *ENTRY_COLUMNS)  # a revision's own id, then what its entry is made of


class Exports:
    """The rows of the published tables, as the ledger stood at a moment, within one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def entry_lines(
        self,
        as_of: dt.datetime | None,
        selection: Selection,
        line_of: Callable[[Entry], str],
        batch: int = BATCH,
    ) -> Iterator[list[str]]:
        """The entries.csv rows (without line ends) of the entries in force, by entry id: as
        stored, or rendered by `line_of` where none is stored."""
        r, p = EntryRevisionRow, PublishedEntryRow
        stored = case((p.recorded_at == r.recorded_at, p.line))  # None: render it here
        query = (
            in_force(as_of, selection)
            .with_only_columns(stored, r.id)
            .select_from(r)
            .outerjoin(p, p.entry_revision_id == r.id)
            .order_by(r.entry_id)
        )
        for rows in self._driver_rows(query, batch):
            lines = [row[0] for row in rows]
            if None in lines:
                missing = [row[1] for row in rows if row[0] is None]
                rendered = _rendered(self.session, missing, line_of)
                lines = [line or rendered[row[1]][1] for line, row in zip(lines, rows, strict=True)]
            yield lines

    def published_rows_missing(self) -> bool:
        """Whether some entry revision has no stored row of entries.csv (each has at most
        one: the row's key is its revision's)."""
        revisions = self.session.execute(select(func.count()).select_from(EntryRevisionRow))
        rows = self.session.execute(select(func.count()).select_from(PublishedEntryRow))
        return revisions.scalar_one() != rows.scalar_one()

    def fill_published_rows(self, line_of: Callable[[Entry], str], batch: int = BATCH) -> int:
        """Store the entries.csv row (rendered by `line_of`) of every entry revision that has
        none; how many were stored. `Ledger.migrate` calls it after a migration, which may
        have emptied the rows. In id order, a batch at a time, with no cursor left open
        across the inserts."""
        r, p = EntryRevisionRow, PublishedEntryRow
        filled, last = 0, 0
        while True:
            ids = list(
                self.session.execute(
                    select(r.id)
                    .outerjoin(p, p.entry_revision_id == r.id)
                    .where(col(p.entry_revision_id).is_(None), r.id > last)
                    .order_by(r.id)
                    .limit(batch)
                ).scalars()
            )
            if not ids:
                return filled
            rendered = _rendered(self.session, ids, line_of)
            self.session.execute(
                insert(p.__table__),
                [
                    {"entry_revision_id": i, "recorded_at": at, "line": line}
                    for i, (at, line) in rendered.items()
                ],
            )
            filled, last = filled + len(ids), ids[-1]

    def evidence_rows(
        self, as_of: dt.datetime | None, selection: Selection, batch: int = BATCH
    ) -> Iterator[Sequence[Any]]:
        """The evidence.csv rows of the entries in force, by entry id and position."""
        r, e, s, source = EntryRevisionRow, EvidenceRow, SentenceRow, SourceRow
        columns = (
            r.entry_id,
            e.position,
            e.source_id,
            e.sentence_n,
            e.quote,
            e.start,
            e.end,
            s.text,
            source.published_on,
        )
        query = (
            in_force(as_of, selection)
            .with_only_columns(*columns)
            .join(e, e.entry_revision_id == r.id)
            .join(s, (s.source_id == e.source_id) & (s.n == e.sentence_n))
            .join(source, source.id == e.source_id)
            .order_by(r.entry_id, e.position)
        )
        for rows in self._streamed(query, batch):
            yield from rows

    def entry_batches(
        self, as_of: dt.datetime | None, selection: Selection, batch: int = 1000
    ) -> Iterator[list[Entry]]:
        """The entries in force that the selection admits, as records, a batch at a time."""
        row = EntryRevisionRow
        query = in_force(as_of, selection).order_by(row.entry_id)
        for rows in self._streamed(query, batch):
            evidence = _evidence(self.session, [r.id for r in rows])
            yield [_entry(r, evidence[r.id]) for r in rows]

    def source_rows(
        self, as_of: dt.datetime | None, only: str | None = None, batch: int = BATCH
    ) -> Iterator[Sequence[Any]]:
        """The sources.csv rows: sources recorded by `as_of` (only one, if named), by id."""
        sentences = (
            select(func.count()).where(SentenceRow.source_id == SourceRow.id).scalar_subquery()
        )
        query = select(
            SourceRow.id,
            SourceRow.sha256,
            SourceRow.published_on,
            SourceRow.title,
            SourceRow.publisher,
            SourceRow.url,
            SourceRow.recorded_at,
            func.length(SourceRow.text),
            sentences,
        )
        if as_of is not None:
            query = query.where(SourceRow.recorded_at <= as_of)
        if only is not None:
            query = query.where(SourceRow.id == only)
        for rows in self._streamed(query.order_by(SourceRow.id), batch):
            yield from rows

    def sentence_rows(
        self, as_of: dt.datetime | None, source: str | None, batch: int = BATCH
    ) -> Iterator[Sequence[Any]]:
        """The sentences.csv rows: sentences of the sources recorded by `as_of`, in order."""
        s = SentenceRow
        query = select(s.source_id, s.n, s.start, s.end, s.kind, s.text)
        if as_of is not None:
            query = query.join(SourceRow, SourceRow.id == s.source_id).where(
                SourceRow.recorded_at <= as_of
            )
        if source is not None:
            query = query.where(s.source_id == source)
        for rows in self._streamed(query.order_by(s.source_id, s.n), batch):
            yield from rows

    def count(self, table: str, as_of: dt.datetime | None, selection: Selection) -> int | None:
        """How many rows a published table will have (None for totals: known only after)."""
        in_force_ids = in_force(as_of, selection).with_only_columns(EntryRevisionRow.id)
        if table == "entries":
            query = select(func.count()).select_from(in_force_ids.subquery())
        elif table == "evidence":
            query = select(func.count()).where(col(EvidenceRow.entry_revision_id).in_(in_force_ids))
        elif table == "sources":
            query = select(func.count()).select_from(SourceRow)
            if as_of is not None:
                query = query.where(SourceRow.recorded_at <= as_of)
        elif table == "sentences":
            query = (
                select(func.count())
                .select_from(SentenceRow)
                .join(SourceRow, SourceRow.id == SentenceRow.source_id)
            )
            if as_of is not None:
                query = query.where(SourceRow.recorded_at <= as_of)
            if selection.source is not None:
                query = query.where(SentenceRow.source_id == selection.source)
        else:
            return None
        return self.session.execute(query).scalar_one()

    def entry_page(
        self, as_of: dt.datetime | None, selection: Selection, offset: int, limit: int
    ) -> tuple[int, list[Entry]]:
        """How many entries are in force (as selected), and one page of them by id."""
        total = self.count("entries", as_of, selection) or 0
        query = in_force(as_of, selection).order_by(EntryRevisionRow.entry_id)
        rows = self.session.connection().execute(query.offset(offset).limit(limit)).all()
        evidence = _evidence(self.session, [r.id for r in rows])
        return total, [_entry(r, evidence[r.id]) for r in rows]

    def _streamed(self, query: Select, batch: int) -> Iterator[Sequence[Any]]:
        # yield_per streams: a server-side cursor on PostgreSQL, SQLite's own stepping cursor.
        # On the session's connection, as Core: the ORM would wrap every row once more.
        result = self.session.connection().execute(query.execution_options(yield_per=batch))
        yield from result.partitions()

    def _driver_rows(self, query: Select, batch: int) -> Iterator[Sequence[Any]]:
        """The query's rows as the driver returns them, for a query whose columns need no
        conversion (text and ids): making SQLAlchemy's rows took a third of the time of an
        export (docs/benchmarks.md, "The write turns, and the driver's rows"). The statement
        and its parameters are still SQLAlchemy's, compiled and bound for the engine; on
        PostgreSQL the cursor is a server-side one, as in `_streamed`."""
        connection = self.session.connection()
        dialect = connection.dialect
        compiled = query.compile(dialect=dialect)
        bound = {}
        for name, value in compiled.construct_params().items():
            process = compiled.binds[name].type.bind_processor(dialect)
            bound[name] = process(value) if process else value
        driver = connection.connection.driver_connection
        if dialect.name == "postgresql":
            cursor = driver.cursor(name=f"export_{secrets.token_hex(8)}")
        else:
            cursor = driver.cursor()
        params = [bound[n] for n in compiled.positiontup] if compiled.positional else bound
        try:
            cursor.execute(compiled.string, params)
            while rows := cursor.fetchmany(batch):
                yield rows
        finally:
            cursor.close()


def in_force(as_of: dt.datetime | None, selection: Selection) -> Select:
    """The revisions in force at `as_of` (the newest of each entry, not retracted), filtered."""
    row = EntryRevisionRow
    later = aliased(EntryRevisionRow)
    # Found through the unique index on (entry_id, revision), one probe per revision.
    newest = select(func.max(later.revision)).where(later.entry_id == row.entry_id)
    if as_of is not None:
        newest = newest.where(later.recorded_at <= as_of)
    columns = [column.label(column.name) for column in row.__table__.columns]
    query = select(*columns).where(
        row.revision == newest.scalar_subquery(), col(row.retracted).is_(False)
    )
    for name in EQUAL:
        wanted = getattr(selection, name, None)
        if wanted is not None:
            query = query.where(getattr(row, name) == wanted)
    for name in LISTED:
        wanted = getattr(selection, name, None)
        if wanted is not None:
            listed = literal(";") + getattr(row, name) + literal(";")
            query = query.where(Position(listed, literal(";" + wanted + ";")) > 0)
    if selection.start is not None:
        query = query.where(row.period_end >= selection.start)
    if selection.end is not None:
        query = query.where(row.period_start <= selection.end)
    if selection.source is not None:
        cited = aliased(EvidenceRow)  # not the evidence an export may join to
        cites = select(cited.id).where(
            cited.entry_revision_id == row.id, cited.source_id == selection.source
        )
        query = query.where(cites.correlate(row).exists())
    return query


# --- the stored rows of entries.csv -------------------------------------------------------------


def _rendered(
    session: Session, revision_ids: Sequence[int], line_of: Callable[[Entry], str]
) -> dict[int, tuple[dt.datetime, str]]:
    """The entries.csv rows of these revisions, rendered from their records (with the
    recorded_at they were rendered with)."""
    row = EntryRevisionRow
    columns = [row.__table__.c[name] for name in RECORD_COLUMNS]
    rendered: dict[int, tuple[dt.datetime, str]] = {}
    for first in range(0, len(revision_ids), SLICE):
        ids = revision_ids[first : first + SLICE]
        rows = session.execute(select(*columns).where(col(row.id).in_(ids))).all()
        evidence = _evidence(session, ids)
        for r in rows:
            rendered[r.id] = (r.recorded_at, line_of(_entry(r, evidence[r.id])))
    return rendered


class Position(FunctionElement[int]):
    """Where a text first occurs in another (1 on), 0 when it does not: case-sensitive on
    both engines, as names are (LIKE ignores case on SQLite and not on PostgreSQL)."""

    type = Integer()
    inherit_cache = True


@compiles(Position, "sqlite")
def _instr(element: Position, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(Position, "postgresql")
def _strpos(element: Position, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


def _evidence(session: Session, revision_ids: Sequence[int]) -> dict[Any, tuple[Evidence, ...]]:
    return Repository(session)._evidence(EvidenceRow.entry_revision_id, revision_ids)
