"""The ledger's records: small immutable values, the words of DESIGN.md."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import NamedTuple

from ledger.errors import InvalidInput
from ledger.scope import Scope

KINDS = ("released", "rescued", "found_dead", "remains_returned", "captured")
POPULATIONS = ("hostages", "detainees")
QUALIFIERS = ("exact", "at_least", "at_most", "between", "approx")
FRAMEWORKS = ("truce_deal", "parallel_deal", "other")
TERM_PER = ("period", "day")
SENTENCE_KINDS = ("sentence", "heading", "link", "dateline")
ROLES = ("editor", "admin")

# Every public id: a three-letter prefix naming the kind of record, then lower-case letters,
# digits and underscores (src_1ad57b34380d078e, ent_seed_captured).
ID_TAIL = "[a-z0-9_]{1,28}"
ID_PATTERN = rf"[a-z]{{3}}_{ID_TAIL}"
ID = re.compile(rf"\A{ID_PATTERN}\Z")


def check_record_id(record_id: str, prefix: str) -> None:
    """Refuse an id a caller chose unless it is `prefix`_ then up to 28 of [a-z0-9_]."""
    if not ID.match(record_id) or not record_id.startswith(f"{prefix}_"):
        raise InvalidInput.one(
            "id",
            f"must look like {prefix}_ then up to 28 lower-case letters, digits or underscores, "
            f"not {record_id!r}.",
        )


# Bounds a person can act on: no exchange has moved ten million people in a report,
# and dates outside these years are typing errors, not history.
MAX_COUNT = 10_000_000
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)


@dataclass(frozen=True, order=True)
class Period:
    """Whole days from start to end, both included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def each_day(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    def __str__(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


class Statement(NamedTuple):
    """What the counting reads of an entry (or of a term): its scope, days and range."""

    id: str
    scope: Scope
    period: Period
    low: int
    high: float  # math.inf when open-ended
    approx: bool = False
    sources: frozenset[str] = frozenset()
    qualifier: str = "exact"

    @property
    def count(self) -> int:
        """The figure the report gives (the high of an "at most")."""
        return int(self.high if self.qualifier == "at_most" else self.low)


@dataclass(frozen=True)
class Sentence:
    """A span [start, end) of a source's text, numbered n from 0."""

    n: int
    start: int
    end: int
    text: str
    kind: str = "sentence"


@dataclass(frozen=True)
class Source:
    """One news report, stored byte-for-byte and named by its SHA-256."""

    id: str
    sha256: str
    text: str
    published_on: dt.date
    title: str | None = None
    publisher: str | None = None
    url: str | None = None
    recorded_at: dt.datetime | None = None
    sentences: tuple[Sentence, ...] = ()


@dataclass(frozen=True)
class ListedSource:
    """A source as a list of them shows it: its metadata and how many sentences it has, not
    its text or sentences (a list may span megabytes of reports)."""

    id: str
    sha256: str
    published_on: dt.date
    title: str | None
    publisher: str | None
    url: str | None
    recorded_at: dt.datetime | None
    sentence_count: int

    @classmethod
    def of(cls, source: Source) -> ListedSource:
        return cls(
            source.id,
            source.sha256,
            source.published_on,
            source.title,
            source.publisher,
            source.url,
            source.recorded_at,
            len(source.sentences),
        )


@dataclass(frozen=True)
class Evidence:
    """A quote of a sentence, with its absolute offsets in the source."""

    source: str
    sentence: int
    quote: str
    start: int
    end: int
    sentence_text: str = ""
    published_on: dt.date | None = None


class Evidenced:
    """What a record's evidence says of its sources; mixed into the evidenced records."""

    evidence: tuple[Evidence, ...]

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(e.source for e in self.evidence)

    @property
    def corroboration(self) -> int:
        """How many distinct sources back it."""
        return len(self.sources)


@dataclass(frozen=True)
class Entry(Evidenced):
    """One revision of one reported movement of people.

    `kind`, `nationality` and `batch` hold one value or several, in a canonical order; a
    part of the scope that is None was not stated and covers every value (DESIGN.md).
    """

    id: str
    kind: tuple[str, ...]
    population: str
    count: int
    period: Period
    party: str | None = None
    qualifier: str = "exact"
    count_high: int | None = None  # the top of a "between" range
    nationality: tuple[str, ...] | None = None
    framework: str | None = None
    exchange: str | None = None
    batch: tuple[str, ...] | None = None
    description: str = ""
    period_phrase: str | None = None
    period_note: str | None = None
    evidence: tuple[Evidence, ...] = ()
    revision: int = 1
    recorded_at: dt.datetime | None = None
    author: str | None = None
    reason: str | None = None
    retracted: bool = False

    @property
    def scope(self) -> Scope:
        return Scope(
            self.population,
            self.kind,
            self.party,
            self.nationality,
            self.framework,
            self.exchange,
            self.batch,
        )

    @property
    def statement(self) -> Statement:
        """What the counting reads of it: its scope, days and range."""
        low, high = reported_range(self.qualifier, self.count, self.count_high)
        return Statement(
            self.id,
            self.scope,
            self.period,
            low,
            high,
            self.qualifier == "approx",
            self.sources,
            self.qualifier,
        )


@dataclass(frozen=True)
class Term(Evidenced):
    """One revision of what an agreement says should happen, under one exchange."""

    id: str
    population: str
    kind: str
    party: str
    count: int
    period: Period
    per: str = "period"
    qualifier: str = "exact"
    framework: str | None = None
    exchange: str | None = None  # None only on terms stored before exchanges existed
    description: str = ""
    period_phrase: str | None = None
    period_note: str | None = None
    evidence: tuple[Evidence, ...] = ()
    revision: int = 1
    recorded_at: dt.datetime | None = None
    author: str | None = None
    reason: str | None = None
    retracted: bool = False

    def statements(self) -> list[Statement]:
        """The term read as reports of what should happen: one per day for a per-day term."""
        days = (
            [Period(d, d) for d in self.period.each_day()] if self.per == "day" else [self.period]
        )
        low, high = reported_range(self.qualifier, self.count, None)
        scope = Scope(
            self.population, (self.kind,), self.party, None, self.framework, self.exchange
        )
        return [
            Statement(
                self.id,
                scope,
                p,
                low,
                high,
                self.qualifier == "approx",
                self.sources,
                self.qualifier,
            )
            for p in days
        ]


@dataclass(frozen=True)
class Exchange(Evidenced):
    """One revision of an arrangement under which people are released: named, with its
    parties, its first day and (once known) its last, and evidence."""

    id: str
    name: str
    parties: tuple[str, ...]
    first_day: dt.date
    last_day: dt.date | None = None
    description: str = ""
    evidence: tuple[Evidence, ...] = ()
    revision: int = 1
    recorded_at: dt.datetime | None = None
    author: str | None = None
    reason: str | None = None
    retracted: bool = False

    @property
    def days(self) -> Period | None:
        """Its days, where its last is known."""
        return Period(self.first_day, self.last_day) if self.last_day else None

    @property
    def span(self) -> Period:
        """Its days, running on to LAST_DAY while its last is not known."""
        return Period(self.first_day, self.last_day or LAST_DAY)


def reported_range(qualifier: str, count: int, count_high: int | None) -> tuple[int, float]:
    """The range of a period's sum that one report allows (DESIGN.md, "What the totals
    mean"): an approximate count is counted as stated, and flagged."""
    if qualifier == "at_least":
        return count, math.inf
    if qualifier == "at_most":
        return 0, count
    if qualifier == "between":
        return count, count if count_high is None else count_high
    return count, count


@dataclass(frozen=True)
class Note:
    """A sourced context figure that is not a movement of people and never enters a total."""

    id: str
    topic: str
    count: float
    unit: str
    qualifier: str
    description: str
    evidence: tuple[Evidence, ...] = ()
    period: Period | None = None
    recorded_at: dt.datetime | None = None
    author: str | None = None


@dataclass(frozen=True)
class Token:
    """An API token as stored: a name, a role and the hash of the secret, never the secret."""

    id: str
    name: str
    role: str
    created_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
