"""Which entries a query asks for: any part of the key, a range of days, a source."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from ledger.records import Entry, Term


@dataclass(frozen=True)
class Selection:
    """Filters on entries; None means any."""

    population: str | None = None
    kind: str | None = None
    party: str | None = None
    nationality: str | None = None
    framework: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    source: str | None = None

    def admits(self, record: Entry | Term) -> bool:
        """Whether a record matches: its key, a period overlapping [start, end], its sources."""
        for name in ("population", "kind", "party", "nationality", "framework"):
            wanted = getattr(self, name)
            if wanted is not None and getattr(record, name, None) != wanted:
                return False
        if self.start is not None and record.period.end < self.start:
            return False
        if self.end is not None and record.period.start > self.end:
            return False
        return self.source is None or self.source in record.sources

    def totals_filters(self) -> dict[str, Any]:
        """The same filters in the words of `ledger.totals.totals`."""
        found = asdict(self)
        found.pop("source")
        return found
