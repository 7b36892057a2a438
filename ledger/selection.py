"""Which entries a query asks for: any part of the scope, a range of days, a source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.records import Entry, Term
from ledger.scope import Question

# Filters on a part every entry has one value of, or may leave unstated.
ONE_VALUE = ("population", "party", "framework", "exchange")
# Filters on a part an entry may give several values of: it matches when it states the value.
LISTED = ("kind", "nationality", "batch")
# Every part of a scope, in the order of a question's.
SCOPE = Question._fields


@dataclass(frozen=True)
class Selection:
    """Filters on entries; None means any. An entry matches a filter when it states the value
    (a dual national under each of their nationalities); one that leaves the part unstated
    does not, though the totals count it as possibly in every group."""

    population: str | None = None
    kind: str | None = None
    party: str | None = None
    nationality: str | None = None
    framework: str | None = None
    exchange: str | None = None
    batch: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    source: str | None = None

    def admits(self, record: Entry | Term) -> bool:
        """Whether a record matches: its scope, a period overlapping [start, end], its sources."""
        for name in SCOPE:
            wanted = getattr(self, name)
            if wanted is None:
                continue
            value = getattr(record, name, None)
            stated = value if isinstance(value, tuple) else (value,)
            if wanted not in stated:
                return False
        if self.start is not None and record.period.end < self.start:
            return False
        if self.end is not None and record.period.start > self.end:
            return False
        return self.source is None or self.source in record.sources

    def question(self) -> Question:
        """The same filters as a question of the totals: which groups to count."""
        return Question(
            population=self.population,
            kind=None if self.kind is None else (self.kind,),
            party=self.party,
            nationality=self.nationality,
            framework=self.framework,
            exchange=self.exchange,
            batch=self.batch,
        )
