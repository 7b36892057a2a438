"""The ledger's tables. Rows are only ever inserted: a change is a new revision row."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from ledger.records import (
    FRAMEWORKS,
    KINDS,
    POPULATIONS,
    QUALIFIERS,
    ROLES,
    SENTENCE_KINDS,
    TERM_PER,
)

# Stable constraint names, so that migrations name the same thing on every engine.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Moments stored as naive UTC on every engine and read back as aware UTC."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: object
    ) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


def _one_of(column: str, allowed: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in allowed)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_known")


# Tables keyed by text that every entry write adds to are WITHOUT ROWID on SQLite: a row
# lives in its key's B-tree, so a write touches one page where a rowid table and the index of
# its key touch two (migration 0008).
NO_ROWID = {"sqlite_with_rowid": False}


def _owned_by(column: str) -> Index:
    """An index of the rows whose `column` is set (partial, on SQLite and PostgreSQL)."""
    where = text(f"{column} IS NOT NULL")
    return Index(f"ix_evidence_{column}", column, sqlite_where=where, postgresql_where=where)


class SourceRow(SQLModel, table=True):
    __tablename__ = "source"

    id: str = Field(primary_key=True, max_length=32)
    sha256: str = Field(max_length=64, unique=True)
    text: str = Field(sa_type=Text)
    published_on: dt.date
    title: str | None = Field(default=None, max_length=500)
    publisher: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=500)
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)
    author: str = Field(max_length=100)


class SentenceRow(SQLModel, table=True):
    __tablename__ = "sentence"
    __table_args__ = (
        _one_of("kind", SENTENCE_KINDS),
        CheckConstraint('"start" <= "end"', name="span_ordered"),
    )

    source_id: str = Field(foreign_key="source.id", primary_key=True, max_length=32)
    n: int = Field(primary_key=True)
    start: int
    end: int
    text: str = Field(sa_type=Text)
    kind: str = Field(max_length=16)


class EntryRow(SQLModel, table=True):
    """The identity of an entry; what it says lives in its revisions."""

    __tablename__ = "entry"
    __table_args__ = NO_ROWID

    id: str = Field(primary_key=True, max_length=32)
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)
    author: str = Field(max_length=100)


class _Revision(SQLModel):
    """What every revision row holds, of an entry or of a term."""

    id: int | None = Field(default=None, primary_key=True)
    revision: int
    population: str = Field(max_length=16)
    count: int
    qualifier: str = Field(max_length=16)
    period_start: dt.date
    period_end: dt.date
    # Not stated: null (entries stored before migration 0006 kept what they were written with).
    framework: str | None = Field(default=None, max_length=16)
    exchange: str | None = Field(default=None, max_length=32)
    description: str = Field(sa_type=Text)
    period_phrase: str | None = Field(default=None, sa_type=Text)
    period_note: str | None = Field(default=None, sa_type=Text)
    retracted: bool = False
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)
    author: str = Field(max_length=100)
    reason: str | None = Field(default=None, sa_type=Text)


def _revision_checks() -> tuple[CheckConstraint, ...]:
    return (
        _one_of("population", POPULATIONS),
        _one_of("qualifier", QUALIFIERS),
        _one_of("framework", FRAMEWORKS),
        CheckConstraint("count >= 0", name="count_not_negative"),
        CheckConstraint("period_start <= period_end", name="period_ordered"),
        CheckConstraint("revision >= 1", name="revision_from_one"),
    )


class EntryRevisionRow(_Revision, table=True):
    """An entry revision. Lists (kinds, nationalities, batches) are stored in one column,
    sorted and joined by ';' (which no name may hold), so a filter is one text search on
    any engine."""

    __tablename__ = "entry_revision"
    __table_args__ = (
        # Its index also finds an entry's revisions: entry_id needs no index of its own.
        UniqueConstraint("entry_id", "revision", name="entry_revision_once"),
        *_revision_checks(),
        CheckConstraint("count_high IS NULL OR count_high >= count", name="range_ordered"),
        Index("entry_revision_recorded", "recorded_at"),
    )

    entry_id: str = Field(foreign_key="entry.id", max_length=32)
    kind: str = Field(max_length=100)
    party: str | None = Field(default=None, max_length=100)
    count_high: int | None = None
    nationality: str | None = Field(default=None, sa_type=Text)
    batch: str | None = Field(default=None, sa_type=Text)


class PublishedEntryRow(SQLModel, table=True):
    """An entry revision's row of entries.csv, rendered once when the revision is written.

    A revision and its evidence never change, so neither does the row: the export reads it
    instead of rendering every entry again (`ledger.storage.exports`).
    """

    __tablename__ = "published_entry_row"

    entry_revision_id: int = Field(
        foreign_key="entry_revision.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    # The revision's recorded_at when the row was rendered: a row rendered for another moment
    # than its revision's (a revision moved in the database by hand) is rendered afresh.
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)
    line: str = Field(sa_type=Text)


class TermRow(SQLModel, table=True):
    __tablename__ = "term"

    id: str = Field(primary_key=True, max_length=32)
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)
    author: str = Field(max_length=100)


class TermRevisionRow(_Revision, table=True):
    __tablename__ = "term_revision"
    __table_args__ = (
        UniqueConstraint("term_id", "revision", name="term_revision_once"),
        *_revision_checks(),
        _one_of("kind", KINDS),
        _one_of("per", TERM_PER),
    )

    term_id: str = Field(foreign_key="term.id", max_length=32)
    kind: str = Field(max_length=16)
    party: str = Field(max_length=100)
    per: str = Field(max_length=16)


class ExchangeRow(SQLModel, table=True):
    """The identity of an exchange; what it says lives in its revisions."""

    __tablename__ = "exchange"

    id: str = Field(primary_key=True, max_length=32)
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)
    author: str = Field(max_length=100)


class ExchangeRevisionRow(SQLModel, table=True):
    __tablename__ = "exchange_revision"
    __table_args__ = (
        UniqueConstraint("exchange_id", "revision", name="exchange_revision_once"),
        CheckConstraint("last_day IS NULL OR first_day <= last_day", name="days_ordered"),
        CheckConstraint("revision >= 1", name="revision_from_one"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: str = Field(foreign_key="exchange.id", max_length=32)
    revision: int
    name: str = Field(max_length=100)
    parties: str = Field(sa_type=Text)  # sorted, joined by ';'
    first_day: dt.date
    last_day: dt.date | None = None
    description: str = Field(sa_type=Text)
    retracted: bool = False
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)
    author: str = Field(max_length=100)
    reason: str | None = Field(default=None, sa_type=Text)


class NoteRow(SQLModel, table=True):
    """A context figure (not a movement of people); kept out of every total."""

    __tablename__ = "note"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)

    id: str = Field(primary_key=True, max_length=32)
    topic: str = Field(max_length=100)
    count: float
    unit: str = Field(max_length=16)
    qualifier: str = Field(max_length=16)
    description: str = Field(sa_type=Text)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)
    author: str = Field(max_length=100)


class EvidenceRow(SQLModel, table=True):
    """A quote backing exactly one entry revision, term revision, exchange revision or note."""

    __tablename__ = "evidence"
    __table_args__ = (
        ForeignKeyConstraint(
            ["source_id", "sentence_n"],
            ["sentence.source_id", "sentence.n"],
            name="evidence_sentence",
        ),
        CheckConstraint(
            "(CASE WHEN entry_revision_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN term_revision_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN exchange_revision_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN note_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
        CheckConstraint('"start" < "end"', name="span_ordered"),
        # Nearly every quote backs an entry: the other owners' indexes hold only their own
        # rows, so an entry's write does not add a NULL to each of them (migration 0008).
        *(_owned_by(column) for column in ("term_revision_id", "exchange_revision_id", "note_id")),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_revision_id: int | None = Field(default=None, foreign_key="entry_revision.id", index=True)
    term_revision_id: int | None = Field(default=None, foreign_key="term_revision.id")
    exchange_revision_id: int | None = Field(default=None, foreign_key="exchange_revision.id")
    note_id: str | None = Field(default=None, foreign_key="note.id", max_length=32)
    position: int
    source_id: str = Field(max_length=32, index=True)
    sentence_n: int
    quote: str = Field(sa_type=Text)
    start: int
    end: int


class TokenRow(SQLModel, table=True):
    """An API token: only the SHA-256 of its secret is kept."""

    __tablename__ = "api_token"
    __table_args__ = (_one_of("role", ROLES),)

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100, unique=True)
    role: str = Field(max_length=16)
    secret_sha256: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class RevisionTokenRow(SQLModel, table=True):
    """The token that wrote a revision of an entry, a term or an exchange, by id. The token of
    revision 1 owns the record: it may retract it without the admin role; the token of a
    retraction says whether an admin made it. Revisions written without a token (the seed, the
    command line) have no row: they count as an admin's."""

    __tablename__ = "revision_token"
    __table_args__ = NO_ROWID

    record_id: str = Field(primary_key=True, max_length=32)
    revision: int = Field(primary_key=True)
    token_id: str = Field(foreign_key="api_token.id", max_length=32)


class JournalRow(SQLModel, table=True):
    """One row per write, in order: the ledger's revision is the last seq. Each row holds the
    hash of what the write wrote and the hash chaining it to the row before."""

    __tablename__ = "journal"

    seq: int | None = Field(default=None, primary_key=True)
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)
    author: str = Field(max_length=100)
    action: str = Field(max_length=32)
    subject: str = Field(max_length=32)
    revision: int | None = None
    content_sha256: str | None = Field(default=None, max_length=64)
    chain_sha256: str | None = Field(default=None, max_length=64)


class IdempotencyRow(SQLModel, table=True):
    """The first answer to a write sent with an Idempotency-Key, per token and key."""

    __tablename__ = "idempotency_key"

    token_id: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)
    status: int
    body: str = Field(sa_type=Text)
    headers: str = Field(sa_type=Text)
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)


class DayTotalRow(SQLModel, table=True):
    """One component's part of one day of a question's totals (ledger.storage.day_totals):
    derived data, kept by every write and checked by `verify`.

    A row is in force from the revision that wrote it (`first_seq`) until the one whose write
    replaced its component (`last_seq`, null while in force), so the totals at any revision
    since the read model was built are the rows in force then.
    """

    __tablename__ = "day_total"
    __table_args__ = (
        Index("ix_day_total_question", "population", "kind", "last_seq", "day"),
        Index(
            "ix_day_total_in_force",
            "component",
            sqlite_where=text("last_seq IS NULL"),
            postgresql_where=text("last_seq IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The sha-1 of the component's statement ids: the same on every server.
    component: str = Field(max_length=40)
    population: str = Field(max_length=16)
    kind: str = Field(max_length=32)
    day: dt.date
    daily_low: float
    daily_high: float | None  # null: no upper bound
    # The change of the component's running total on this day: added up to any day, the
    # running total by its end. Null in moved_high: from this day on, no upper bound.
    moved_low: float
    moved_high: float | None
    approx_from: dt.date | None  # the first day an approximate figure counts in
    first_seq: int
    last_seq: int | None = None


class ReadModelRow(SQLModel, table=True):
    """Where the read model stands: the revision its rows are current at, and the first
    revision they answer for (the one it was built at; earlier moments are computed)."""

    __tablename__ = "read_model"

    name: str = Field(primary_key=True, max_length=32)
    revision: int
    since: int
