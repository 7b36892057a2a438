"""Checks: every conflict and roll-up mismatch in the ledger, the findings a reader must see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ledger.records import Entry
from ledger.still_held import still_held
from ledger.totals import Plain, totals

# Roll-ups that are "ok" or only "partial" (the remainder carried over uncovered days) are the
# rules working, not findings.
FINDING_STATUSES = ("mismatch", "overlap")


@dataclass(frozen=True)
class Checks(Plain):
    """Conflicts between reports of one event; roll-up mismatches, overlaps, and days with
    more reported out than captured."""

    conflicts: tuple[Any, ...]
    mismatches: tuple[Any, ...]

    @property
    def count(self) -> int:
        return len(self.conflicts) + len(self.mismatches)


def checks(entries: Iterable[Entry]) -> Checks:
    """Every finding of the whole ledger."""
    entries = list(entries)
    everything = totals(entries)
    mismatches = [c for c in everything.checks if c.status in FINDING_STATUSES]
    for party in still_held(entries):
        mismatches += party.findings
    return Checks(conflicts=everything.conflicts, mismatches=tuple(mismatches))
