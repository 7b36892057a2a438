"""Still held (DESIGN.md, rule 7): captured - released - rescued - found_dead -
remains_returned, per party, as an interval by day.

No entry mixes captures with ways out of captivity (drafts refuse it), so the two never share a
component and their totals are independent: the fewest still held pairs the fewest captured
with the most out, the most still held the reverse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from ledger.counting import Analysis
from ledger.records import Period
from ledger.scope import Question
from ledger.totals import Interval, Plain, Totals, answer

CAPTURED = "captured"
OUT = ("released", "rescued", "found_dead", "remains_returned")


@dataclass(frozen=True)
class HeldDay(Plain):
    """One day: captured and out by its end, and how many were still held then."""

    date: dt.date
    captured: Interval
    out: Interval
    still_held: Interval
    entries: tuple[str, ...]
    approx: bool


@dataclass(frozen=True)
class MoreOutThanCaptured(Plain):
    """A day by whose end more were surely reported out than could have been captured."""

    check: ClassVar[str | None] = "more_out_than_captured"

    party: str | None
    date: dt.date
    captured: Interval
    out: Interval


@dataclass(frozen=True)
class StillHeld(Plain):
    """One party's still held figures by day (party None: every party together), with the
    totals they were built from."""

    party: str | None
    days: tuple[HeldDay, ...]
    total: Interval
    findings: tuple[MoreOutThanCaptured, ...]
    captured: Totals
    out: Totals


def still_held(
    analysis: Analysis, *, party: str | None = None, population: str = "hostages"
) -> tuple[StillHeld, ...]:
    """Still held by day for each party (one party, or every party named), sorted; with a
    row for every party together first where there is more than one, or a report that does
    not say which party."""
    if party is not None:
        return (_for_party(analysis, population, party),)
    rows = [
        r
        for c in analysis.components
        if c.population == population
        for r in c.rows
        if set(r.scope.kind) & {CAPTURED, *OUT}
    ]
    parties = sorted({r.scope.party for r in rows if r.scope.party is not None})
    together = len(parties) > 1 or any(r.scope.party is None for r in rows)
    listed: list[str | None] = [None, *parties] if together else list(parties)
    return tuple(_for_party(analysis, population, p) for p in listed)


def _for_party(analysis: Analysis, population: str, party: str | None) -> StillHeld:
    captured = answer(analysis, Question(population, (CAPTURED,), party), None, None)
    out = answer(analysis, Question(population, OUT, party), None, None)
    dates = [d.date for d in (*captured.days, *out.days)]
    if not dates:
        return StillHeld(party, (), Interval(0, 0), (), captured, out)
    days, findings = [], []
    for date in Period(min(dates), max(dates)).each_day():
        day, finding = _held_on(party, date, captured, out)
        days.append(day)
        findings += [finding] if finding else []
    return StillHeld(party, tuple(days), days[-1].still_held, tuple(findings), captured, out)


def _held_on(
    party: str | None, date: dt.date, captured: Totals, out: Totals
) -> tuple[HeldDay, MoreOutThanCaptured | None]:
    (took, took_approx, took_entries) = _as_of_day(captured, date)
    (left, left_approx, left_entries) = _as_of_day(out, date)
    low = 0 if left.high is None else max(0, took.low - left.high)
    high = None if took.high is None else took.high - left.low
    finding = None
    if high is not None and high < 0:
        finding = MoreOutThanCaptured(party, date, took, left)
        high = 0
    day = HeldDay(
        date=date,
        captured=took,
        out=left,
        still_held=Interval(low, high),
        entries=tuple(sorted({*took_entries, *left_entries})),
        approx=took_approx or left_approx,
    )
    return day, finding


def _as_of_day(result: Totals, date: dt.date) -> tuple[Interval, bool, tuple[str, ...]]:
    """A series' cumulative, approx flag and entries on any day, even outside its own days."""
    # Nothing is counted before a series' first day, and nothing moves after its last.
    if not result.days or date < result.days[0].date:
        return Interval(0, 0), False, ()
    if date > result.days[-1].date:
        return result.total, result.approx, ()
    day = result.days[(date - result.days[0].date).days]
    return day.cumulative, day.approx, day.entries
