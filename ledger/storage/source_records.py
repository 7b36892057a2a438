"""Sources and their sentences: storing reports and reading them back, whole or as pages of a
list. A mixin of `ledger.storage.repository.Repository`, which gives it its session and
connection; the rows become records in `ledger.storage.rows`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, func, insert, literal
from sqlmodel import Session, col, select

from ledger.records import ID, ListedSource, Sentence, Source
from ledger.storage.rows import _source
from ledger.storage.tables import SentenceRow, SourceRow

LOOKUP_SLICE = 500  # values in one IN (...), well under every engine's limit


class SourceRecords:
    """Reads and appends sources and their sentences (a part of `Repository`)."""

    session: Session
    connection: Connection  # Repository's: the unit of work's, asked of the session once

    def source(self, source_id: str, with_sentences: bool = True) -> Source | None:
        row = self.session.get(SourceRow, source_id) if ID.match(source_id) else None
        if row is None:
            return None
        return _source(row, self._sentences([source_id])[source_id] if with_sentences else ())

    def source_by_sha256(self, sha256: str) -> Source | None:
        row = self.session.exec(select(SourceRow).where(SourceRow.sha256 == sha256)).first()
        return None if row is None else self.source(row.id)

    def sources(self, offset: int = 0, limit: int | None = None) -> tuple[int, list[Source]]:
        """How many sources there are, and a page of them with their sentences, oldest first."""
        total = self.session.exec(select(func.count()).select_from(SourceRow)).one()
        query = select(SourceRow).order_by(SourceRow.recorded_at, SourceRow.id).offset(offset)
        rows = list(self.session.exec(query.limit(limit) if limit is not None else query))
        sentences = self._sentences(row.id for row in rows)
        return total, [_source(row, sentences[row.id]) for row in rows]

    def listed_sources(
        self, offset: int, limit: int, as_of: dt.datetime | None = None
    ) -> tuple[int, list[ListedSource]]:
        """How many sources were stored by `as_of`, and a page of them, oldest first, each
        with its number of sentences: without their texts or sentences (a list may span
        megabytes of reports)."""
        table = SourceRow.__table__
        stored = table.c.recorded_at <= as_of if as_of is not None else literal(True)
        counted = select(func.count()).select_from(table).where(stored)
        total = self.connection.execute(counted).scalar_one()
        columns = [c for c in table.c if c.name != "text"]
        rows = self.connection.execute(
            select(*columns)
            .where(stored)
            .order_by(table.c.recorded_at, table.c.id)
            .offset(offset)
            .limit(limit)
        ).all()
        ids = [row.id for row in rows]
        sentences = SentenceRow.__table__
        counts = (
            dict(
                self.connection.execute(
                    select(sentences.c.source_id, func.count())
                    .where(sentences.c.source_id.in_(ids))
                    .group_by(sentences.c.source_id)
                ).all()
            )
            if ids
            else {}
        )
        return total, [
            ListedSource(
                row.id,
                row.sha256,
                row.published_on,
                row.title,
                row.publisher,
                row.url,
                row.recorded_at,
                counts.get(row.id, 0),
            )
            for row in rows
        ]

    def stored_sha256s(self, sha256s: Iterable[str]) -> set[str]:
        """Which of these texts (by SHA-256) are stored as sources already."""
        wanted, found = list(sha256s), set()
        for i in range(0, len(wanted), LOOKUP_SLICE):
            query = select(SourceRow.sha256).where(
                col(SourceRow.sha256).in_(wanted[i : i + LOOKUP_SLICE])
            )
            found.update(self.session.exec(query))
        return found

    def add_source(self, source: Source, author: str) -> None:
        self.add_sources([source], author)

    def add_sources(self, sources: Sequence[Source], author: str) -> None:
        """Insert sources with their sentences: two Core executemany statements, no ORM rows."""
        if not sources:
            return
        connection = self.connection
        connection.execute(
            insert(SourceRow.__table__),
            [
                {
                    "id": source.id,
                    "sha256": source.sha256,
                    "text": source.text,
                    "published_on": source.published_on,
                    "title": source.title,
                    "publisher": source.publisher,
                    "url": source.url,
                    "recorded_at": source.recorded_at,
                    "author": author,
                }
                for source in sources
            ],
        )
        sentences = [
            {
                "source_id": source.id,
                "n": s.n,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "kind": s.kind,
            }
            for source in sources
            for s in source.sentences
        ]
        if sentences:
            connection.execute(insert(SentenceRow.__table__), sentences)

    def _sentences(self, source_ids: Iterable[str]) -> dict[str, tuple[Sentence, ...]]:
        found: dict[str, list[Sentence]] = defaultdict(list)
        ids = list(source_ids)
        rows = self.session.exec(
            select(SentenceRow)
            .where(col(SentenceRow.source_id).in_(ids))
            .order_by(SentenceRow.source_id, SentenceRow.n)
        )
        for row in rows:
            found[row.source_id].append(
                Sentence(n=row.n, start=row.start, end=row.end, text=row.text, kind=row.kind)
            )
        return {source_id: tuple(found[source_id]) for source_id in ids}

    def all_sources_with_sentences(self) -> list[Source]:
        """Every source with its sentences, for `verify`."""
        rows = list(self.session.exec(select(SourceRow).order_by(SourceRow.id)))
        sentences = self._sentences(row.id for row in rows)
        return [_source(row, sentences[row.id]) for row in rows]
