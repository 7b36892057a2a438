"""The repository: every query of the ledger, turning rows into records and back."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache, cached_property
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, func, insert, literal
from sqlmodel import Session, col, select

from ledger.idempotency import StoredResponse
from ledger.records import (
    ID,
    Entry,
    Evidence,
    Exchange,
    ListedSource,
    Note,
    Period,
    Sentence,
    Source,
    Term,
    Token,
)
from ledger.storage.tables import (
    DayTotalRow,
    EntryRevisionRow,
    EntryRow,
    EvidenceRow,
    ExchangeRevisionRow,
    ExchangeRow,
    IdempotencyRow,
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


EVIDENCE_SLICE = 5_000
LOOKUP_SLICE = 500  # values in one IN (...), well under every engine's limit

# The statements of the hot paths (every write, every request's revision and token), built
# once: SQLAlchemy then finds their compiled form without rebuilding them.
HEAD = (
    select(JournalRow.__table__.c.seq, JournalRow.__table__.c.recorded_at)
    .order_by(JournalRow.__table__.c.seq.desc())
    .limit(1)
)
NEW_ENTRY = insert(EntryRow.__table__)
NEW_ENTRY_REVISION = insert(EntryRevisionRow.__table__).returning(EntryRevisionRow.__table__.c.id)
NEW_EVIDENCE = insert(EvidenceRow.__table__)
TOKEN_BY_SECRET = select(*TokenRow.__table__.c).where(
    TokenRow.__table__.c.secret_sha256 == bindparam("secret")
)


# PostgreSQL's transaction lock that makes a unit of work the only writer (Database.writing).
WRITER_LOCK = 7_346_002


class Repository:
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

    # --- sources and sentences ----------------------------------------------------------------

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

    def _evidence_of_all(self, as_of: dt.datetime | None) -> dict[object, tuple]:
        """The evidence of every entry revision (recorded by `as_of`), in one streamed query;
        each sentence's text and each source's date read once and shared."""
        connection = self.connection
        sentences = {
            (source, n): text
            for source, n, text in connection.execute(
                select(SentenceRow.source_id, SentenceRow.n, SentenceRow.text).where(
                    select(EvidenceRow.id)
                    .where(
                        EvidenceRow.source_id == SentenceRow.source_id,
                        EvidenceRow.sentence_n == SentenceRow.n,
                        col(EvidenceRow.entry_revision_id).is_not(None),
                    )
                    .exists()
                )
            )
        }
        published = dict(connection.execute(select(SourceRow.id, SourceRow.published_on)).all())
        e, r = EvidenceRow.__table__, EntryRevisionRow.__table__
        query = select(
            e.c.entry_revision_id, e.c.source_id, e.c.sentence_n, e.c.quote, e.c.start, e.c.end
        ).where(e.c.entry_revision_id.is_not(None))
        if as_of is not None:
            query = query.join(r, r.c.id == e.c.entry_revision_id).where(r.c.recorded_at <= as_of)
        found: dict[object, list[Evidence]] = defaultdict(list)
        result = connection.execute(
            query.order_by(e.c.entry_revision_id, e.c.position).execution_options(
                yield_per=EVIDENCE_SLICE
            )
        )
        for owner, source, n, quote, start, end in result:
            found[owner].append(
                Evidence(source, n, quote, start, end, sentences[source, n], published[source])
            )
        return defaultdict(tuple, {key: tuple(items) for key, items in found.items()})

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

    # --- evidence -----------------------------------------------------------------------------

    def _add_evidence(self, items: Sequence[Evidence], **owner: object) -> None:
        if not items:
            return
        self.session.flush()  # the owner's row first, if it was added as an object
        owners = {
            "entry_revision_id": None,
            "term_revision_id": None,
            "exchange_revision_id": None,
            "note_id": None,
            **owner,
        }
        self.connection.execute(
            NEW_EVIDENCE,
            [
                {
                    **owners,
                    "position": i,
                    **_quoted(e),
                }
                for i, e in enumerate(items)
            ],
        )

    def _evidence(self, owner: object, owner_ids: Sequence[object]) -> dict[object, tuple]:
        # Plain columns, not ORM objects: this runs once per batch of a streamed export.
        found: dict[object, list[Evidence]] = defaultdict(list)
        # In slices: a driver binds at most 65,535 parameters (SQLite often fewer).
        for first in range(0, len(owner_ids), EVIDENCE_SLICE):
            rows = self.session.execute(
                select(
                    owner,
                    EvidenceRow.source_id,
                    EvidenceRow.sentence_n,
                    EvidenceRow.quote,
                    EvidenceRow.start,
                    EvidenceRow.end,
                    SentenceRow.text,
                    SourceRow.published_on,
                )
                .join(
                    SentenceRow,
                    (SentenceRow.source_id == EvidenceRow.source_id)
                    & (SentenceRow.n == EvidenceRow.sentence_n),
                )
                .join(SourceRow, SourceRow.id == EvidenceRow.source_id)
                .where(col(owner).in_(owner_ids[first : first + EVIDENCE_SLICE]))
                .order_by(EvidenceRow.position)
            )
            for key, source, n, quote, start, end, sentence_text, published_on in rows:
                found[key].append(
                    Evidence(source, n, quote, start, end, sentence_text, published_on)
                )
        return defaultdict(tuple, {key: tuple(items) for key, items in found.items()})

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

    def all_evidence(self) -> list[tuple[str, Evidence]]:
        """Every piece of evidence, named by what it backs, for `verify`."""
        rows = self.session.exec(
            select(
                EvidenceRow,
                SentenceRow.text,
                EntryRevisionRow.entry_id,
                EntryRevisionRow.revision,
                TermRevisionRow.term_id,
                TermRevisionRow.revision,
                ExchangeRevisionRow.exchange_id,
                ExchangeRevisionRow.revision,
            )
            .outerjoin(
                SentenceRow,
                (SentenceRow.source_id == EvidenceRow.source_id)
                & (SentenceRow.n == EvidenceRow.sentence_n),
            )
            .outerjoin(EntryRevisionRow, EntryRevisionRow.id == EvidenceRow.entry_revision_id)
            .outerjoin(TermRevisionRow, TermRevisionRow.id == EvidenceRow.term_revision_id)
            .outerjoin(
                ExchangeRevisionRow, ExchangeRevisionRow.id == EvidenceRow.exchange_revision_id
            )
            .order_by(EvidenceRow.id)
        )
        found = []
        for row in rows:
            evidence, sentence_text, entry_id, entry_rev, term_id, term_rev, exc_id, exc_rev = row
            if entry_id is not None:
                owner = f"entry {entry_id} revision {entry_rev}"
            elif term_id is not None:
                owner = f"term {term_id} revision {term_rev}"
            elif exc_id is not None:
                owner = f"exchange {exc_id} revision {exc_rev}"
            else:
                owner = f"note {evidence.note_id}"
            found.append(
                (
                    f"{owner} evidence[{evidence.position}]",
                    Evidence(
                        source=evidence.source_id,
                        sentence=evidence.sentence_n,
                        quote=evidence.quote,
                        start=evidence.start,
                        end=evidence.end,
                        sentence_text=sentence_text or "",
                    ),
                )
            )
        return found

    def all_sources_with_sentences(self) -> list[Source]:
        """Every source with its sentences, for `verify`."""
        rows = list(self.session.exec(select(SourceRow).order_by(SourceRow.id)))
        sentences = self._sentences(row.id for row in rows)
        return [_source(row, sentences[row.id]) for row in rows]

    # --- idempotency keys ----------------------------------------------------------------------

    def stored_response(self, token_id: str, key: str) -> tuple[str, StoredResponse] | None:
        """The fingerprint and first answer of a keyed request, if there was one."""
        row = self.session.get(IdempotencyRow, (token_id, key))
        if row is None:
            return None
        return row.fingerprint, StoredResponse(row.status, row.body, json.loads(row.headers))

    def store_response(
        self, token_id: str, key: str, fingerprint: str, response: StoredResponse, at: dt.datetime
    ) -> None:
        self.session.add(
            IdempotencyRow(
                token_id=token_id,
                key=key,
                fingerprint=fingerprint,
                status=response.status,
                body=response.body,
                headers=json.dumps(response.headers),
                recorded_at=at,
            )
        )
        self.session.flush()

    # --- tokens -------------------------------------------------------------------------------

    def add_token(self, token: Token, secret_sha256: str) -> None:
        self.session.add(
            TokenRow(
                id=token.id,
                name=token.name,
                role=token.role,
                secret_sha256=secret_sha256,
                created_at=token.created_at,
            )
        )

    def token_name_taken(self, name: str) -> bool:
        """Whether a token, or any write in the journal, bears this name (in any case)."""
        folded = func.lower(name)
        tokens = select(TokenRow.id).where(func.lower(TokenRow.name) == folded)
        authors = select(JournalRow.seq).where(func.lower(JournalRow.author) == folded)
        return any(self.session.exec(query.limit(1)).first() for query in (tokens, authors))

    def add_revision_token(self, record_id: str, revision: int, token_id: str) -> None:
        self.connection.execute(
            insert(RevisionTokenRow.__table__),
            {"record_id": record_id, "revision": revision, "token_id": token_id},
        )

    def revision_token(self, record_id: str, revision: int) -> Token | None:
        """The token that wrote a revision, if a token did (revision 1's owns the record)."""
        row = self.session.exec(
            select(TokenRow)
            .join(RevisionTokenRow, col(RevisionTokenRow.token_id) == col(TokenRow.id))
            .where(RevisionTokenRow.record_id == record_id, RevisionTokenRow.revision == revision)
        ).first()
        return None if row is None else _token(row)

    def revoke_token(self, which: str, at: dt.datetime) -> Token | None:
        row = self.session.exec(
            select(TokenRow).where(
                (TokenRow.id == which) | (TokenRow.name == which),
                col(TokenRow.revoked_at).is_(None),
            )
        ).first()
        if row is None:
            return None
        row.revoked_at = at
        self.session.add(row)
        self.session.flush()
        return _token(row)

    def tokens(self) -> list[Token]:
        rows = self.session.exec(select(TokenRow).order_by(TokenRow.created_at, TokenRow.id))
        return [_token(row) for row in rows]

    def token_by_secret_sha256(self, secret_sha256: str) -> tuple[Token, str] | None:
        row = self.connection.execute(TOKEN_BY_SECRET, {"secret": secret_sha256}).first()
        if row is None:
            return None
        return _token(row), row.secret_sha256


def _token(row: TokenRow | Row) -> Token:
    return Token(
        id=row.id,
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


LIST_SEPARATOR = ";"


def joined(values: Sequence[str] | None, ordered: bool = False) -> str | None:
    """A list of names as stored: sorted (unless `ordered`), joined by ';' (which no name
    holds)."""
    if values is None:
        return None
    return LIST_SEPARATOR.join(values if ordered else sorted(values))


def split(stored: str | None) -> tuple[str, ...] | None:
    """A stored list of names back as a tuple."""
    return None if stored is None else tuple(stored.split(LIST_SEPARATOR))


def _revision_values(entry: Entry) -> dict[str, object]:
    return {
        "entry_id": entry.id,
        "revision": entry.revision,
        "kind": joined(entry.kind),
        "population": entry.population,
        "count": entry.count,
        "qualifier": entry.qualifier,
        "count_high": entry.count_high,
        "period_start": entry.period.start,
        "period_end": entry.period.end,
        "party": entry.party,
        "nationality": joined(entry.nationality),
        "framework": entry.framework,
        "exchange": entry.exchange,
        "batch": joined(entry.batch),
        "description": entry.description,
        "period_phrase": entry.period_phrase,
        "period_note": entry.period_note,
        "retracted": entry.retracted,
        "recorded_at": entry.recorded_at,
        "author": entry.author,
        "reason": entry.reason,
    }


EVIDENCE_FIELDS = ("source_id", "sentence_n", "quote", "start", "end")
PUBLISHED = (("r_recorded_at", "recorded_at"), ("line", "line"))
REVISED = tuple(c.name for c in EntryRevisionRow.__table__.c if c.name != "id")


@cache
def _entry_at_once(first: bool, evidence: int) -> Select:
    """An entry revision with its evidence and its row of entries.csv (and, for the first
    revision, the entry) as one PostgreSQL statement of data-modifying WITH parts: one round
    trip where the other engines take four. Built once per shape; `_at_once` gives its
    values."""
    revisions, quotes = EntryRevisionRow.__table__, EvidenceRow.__table__
    published = PublishedEntryRow.__table__
    revision = (
        insert(revisions)
        .values({name: bindparam(f"r_{name}", type_=revisions.c[name].type) for name in REVISED})
        .returning(revisions.c.id)
        .cte("revision")
    )
    parts = []
    if first:
        entry = insert(EntryRow.__table__).values(
            id=bindparam("r_entry_id"),
            recorded_at=bindparam("r_recorded_at"),
            author=bindparam("r_author"),
        )
        parts.append(entry.cte("entry"))
    for i in range(evidence):
        values = [bindparam(f"e{i}_{name}", type_=quotes.c[name].type) for name in EVIDENCE_FIELDS]
        quote = insert(quotes).from_select(
            ["entry_revision_id", "position", *EVIDENCE_FIELDS],
            select(revision.c.id, literal(i), *values),
        )
        parts.append(quote.cte(f"evidence_{i}"))
    row = insert(published).from_select(
        ["entry_revision_id", "recorded_at", "line"],
        select(revision.c.id, *(bindparam(k, type_=published.c[n].type) for k, n in PUBLISHED)),
    )
    parts.append(row.cte("published"))
    return select(revision.c.id).add_cte(*parts)


def _at_once(entry: Entry) -> dict[str, object]:
    values: dict[str, object] = {f"r_{k}": v for k, v in _revision_values(entry).items()}
    for i, e in enumerate(entry.evidence):
        values.update({f"e{i}_{name}": value for name, value in _quoted(e).items()})
    return values


def _quoted(e: Evidence) -> dict[str, object]:
    """A piece of evidence's columns (EVIDENCE_FIELDS), its owner and position aside."""
    return {
        "source_id": e.source,
        "sentence_n": e.sentence,
        "quote": e.quote,
        "start": e.start,
        "end": e.end,
    }


def _publish(connection: Connection, written: Sequence[tuple[int, Entry, str]]) -> None:
    """Store each revision's row of entries.csv beside it (see `ledger.storage.exports`)."""
    connection.execute(
        insert(PublishedEntryRow.__table__),
        [
            {"entry_revision_id": i, "recorded_at": e.recorded_at, "line": line}
            for i, e, line in written
        ],
    )


def _source(row: SourceRow, sentences: tuple[Sentence, ...]) -> Source:
    return Source(
        id=row.id,
        sha256=row.sha256,
        text=row.text,
        published_on=row.published_on,
        title=row.title,
        publisher=row.publisher,
        url=row.url,
        recorded_at=row.recorded_at,
        sentences=sentences,
    )


# The columns of entry_revision an entry is made of, in the order `_entry_from` reads them.
ENTRY_COLUMNS = (
    "entry_id",
    "revision",
    "kind",
    "population",
    "count",
    "qualifier",
    "period_start",
    "period_end",
    "party",
    "nationality",
    "framework",
    "description",
    "period_phrase",
    "period_note",
    "recorded_at",
    "author",
    "reason",
    "retracted",
    "count_high",
    "exchange",
    "batch",
)


def _entry_from(at: dict[str, int]) -> Callable[[Sequence[Any], tuple[Evidence, ...]], Entry]:
    """Builds entries from plain rows whose columns are at these positions (a whole ledger
    is read this way: attribute access per column would cost more than the rest)."""
    (
        entry_id,
        revision,
        kind,
        population,
        count,
        qualifier,
        start,
        end,
        party,
        nationality,
        framework,
        description,
        phrase,
        note,
        recorded_at,
        author,
        reason,
        retracted,
        count_high,
        exchange,
        batch,
    ) = (at[name] for name in ENTRY_COLUMNS)

    def build(row: Sequence[Any], evidence: tuple[Evidence, ...]) -> Entry:
        return Entry(
            id=row[entry_id],
            kind=split(row[kind]),
            population=row[population],
            count=row[count],
            period=Period(row[start], row[end]),
            party=row[party],
            qualifier=row[qualifier],
            count_high=row[count_high],
            nationality=split(row[nationality]),
            framework=row[framework],
            exchange=row[exchange],
            batch=split(row[batch]),
            description=row[description],
            period_phrase=row[phrase],
            period_note=row[note],
            evidence=evidence,
            revision=row[revision],
            recorded_at=row[recorded_at],
            author=row[author],
            reason=row[reason],
            retracted=row[retracted],
        )

    return build


def _entry(row: EntryRevisionRow | Row, evidence: tuple[Evidence, ...]) -> Entry:
    """An entry from its revision row."""
    return Entry(
        id=row.entry_id,
        revision=row.revision,
        kind=split(row.kind) or (),
        population=row.population,
        count=row.count,
        qualifier=row.qualifier,
        count_high=row.count_high,
        period=Period(row.period_start, row.period_end),
        party=row.party,
        nationality=split(row.nationality),
        framework=row.framework,
        exchange=row.exchange,
        batch=split(row.batch),
        description=row.description,
        period_phrase=row.period_phrase,
        period_note=row.period_note,
        evidence=evidence,
        recorded_at=row.recorded_at,
        author=row.author,
        reason=row.reason,
        retracted=row.retracted,
    )


def _term(row: TermRevisionRow, evidence: tuple[Evidence, ...]) -> Term:
    return Term(
        id=row.term_id,
        revision=row.revision,
        population=row.population,
        kind=row.kind,
        party=row.party,
        count=row.count,
        per=row.per,
        qualifier=row.qualifier,
        framework=row.framework,
        exchange=row.exchange,
        period=Period(row.period_start, row.period_end),
        description=row.description,
        period_phrase=row.period_phrase,
        period_note=row.period_note,
        evidence=evidence,
        recorded_at=row.recorded_at,
        author=row.author,
        reason=row.reason,
        retracted=row.retracted,
    )


def _exchange(row: ExchangeRevisionRow, evidence: tuple[Evidence, ...]) -> Exchange:
    return Exchange(
        id=row.exchange_id,
        revision=row.revision,
        name=row.name,
        parties=split(row.parties) or (),
        first_day=row.first_day,
        last_day=row.last_day,
        description=row.description,
        evidence=evidence,
        recorded_at=row.recorded_at,
        author=row.author,
        reason=row.reason,
        retracted=row.retracted,
    )


def _note(row: NoteRow, evidence: tuple[Evidence, ...]) -> Note:
    period = Period(row.period_start, row.period_end) if row.period_start else None
    return Note(
        id=row.id,
        topic=row.topic,
        count=row.count,
        unit=row.unit,
        qualifier=row.qualifier,
        description=row.description,
        evidence=evidence,
        period=period,
        recorded_at=row.recorded_at,
        author=row.author,
    )
