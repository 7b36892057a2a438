"""Checks: every conflict, implied count and still-held mismatch in the ledger, the findings
a reader must see beside the figures."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.counting import Analysis
from ledger.still_held import MoreOutThanCaptured, still_held
from ledger.totals import Conflict, Implied, Plain, findings


@dataclass(frozen=True)
class Checks(Plain):
    """Reports that cannot all be true (with the readings that set them aside), the people
    the bounds place where no report states them, and days with more reported out than
    captured."""

    conflicts: tuple[Conflict, ...]
    implied: tuple[Implied, ...]
    mismatches: tuple[MoreOutThanCaptured, ...]

    @property
    def count(self) -> int:
        """The problems to review: conflicts and mismatches (implied counts are inferences)."""
        return len(self.conflicts) + len(self.mismatches)


def checks(analysis: Analysis) -> Checks:
    """Every finding of the whole ledger."""
    conflicts, implied = findings(analysis)
    mismatches = tuple(f for party in still_held(analysis) for f in party.findings)
    return Checks(conflicts=conflicts, implied=implied, mismatches=mismatches)
