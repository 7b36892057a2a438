"""Table rows and records, both ways: the module-level conversions the repository's queries
share. A row read becomes its record (`_source`, `_entry`, `_entry_from`, `_term`,
`_exchange`, `_note`, `_token`), a record to write becomes the values of its rows
(`_revision_values`, `_quoted`, `_at_once`), lists of names are stored joined by ';'
(`joined`, `split`), and an entry revision's row of entries.csv is stored beside it
(`_publish`, or `_entry_at_once`: the revision and all its rows in one PostgreSQL statement).
None holds a unit of work (`_publish` is given its connection): the mixins of
`ledger.storage.repository` call them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, insert, literal
from sqlmodel import select

from ledger.records import Entry, Evidence, Exchange, Note, Period, Sentence, Source, Term, Token
from ledger.storage.tables import (
    EntryRevisionRow,
    EntryRow,
    EvidenceRow,
    ExchangeRevisionRow,
    NoteRow,
    PublishedEntryRow,
    SourceRow,
    TermRevisionRow,
    TokenRow,
)


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
