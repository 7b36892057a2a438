"""The ledger's records: small immutable values, the words of DESIGN.md."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import NamedTuple

from ledger.errors import InvalidInput

KINDS = ("released", "rescued", "found_dead", "captured")
POPULATIONS = ("hostages", "detainees")
QUALIFIERS = ("exact", "at_least", "at_most", "approx")
FRAMEWORKS = ("truce_deal", "parallel_deal", "other")
TERM_PER = ("period", "day")
SENTENCE_KINDS = ("sentence", "heading", "link", "dateline")
ROLES = ("editor", "admin")

# Every public id: a three-letter prefix naming the kind of record, then lower-case letters,
# digits and underscores (src_1ad57b34380d078e, ent_seed_captured).
ID = re.compile(r"\A[a-z]{3}_[a-z0-9_]{1,28}\Z")


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


class Key(NamedTuple):
    """What a total is kept per: one population moved by one party in one way."""

    population: str
    kind: str
    party: str
    nationality: str | None
    framework: str


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
class Evidence:
    """A quote of a sentence, with its absolute offsets in the source."""

    source: str
    sentence: int
    quote: str
    start: int
    end: int
    sentence_text: str = ""
    published_on: dt.date | None = None


@dataclass(frozen=True)
class Entry:
    """One revision of one reported movement of people."""

    id: str
    kind: str
    population: str
    count: int
    period: Period
    party: str
    qualifier: str = "exact"
    nationality: str | None = None
    framework: str = "other"
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
    def key(self) -> Key:
        return Key(self.population, self.kind, self.party, self.nationality, self.framework)

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(e.source for e in self.evidence)

    @property
    def corroboration(self) -> int:
        """How many distinct sources back it."""
        return len(self.sources)


@dataclass(frozen=True)
class Term:
    """One revision of what an agreement says should happen."""

    id: str
    population: str
    kind: str
    party: str
    count: int
    period: Period
    per: str = "period"
    qualifier: str = "exact"
    framework: str = "other"
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
    def sources(self) -> frozenset[str]:
        return frozenset(e.source for e in self.evidence)

    @property
    def corroboration(self) -> int:
        """How many distinct sources back it."""
        return len(self.sources)


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
