"""Still held: captured - released - rescued - found_dead, per party, as an interval by day.

Captures and the ways out of captivity are different keys, so their totals are independent: the
fewest still held pairs the fewest captured with the most out, the most still held the reverse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from ledger.records import Entry, Period
from ledger.totals import Interval, Plain, Totals, totals

CAPTURED = "captured"
OUT = ("released", "rescued", "found_dead")


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

    party: str
    date: dt.date
    captured: Interval
    out: Interval


@dataclass(frozen=True)
class StillHeld(Plain):
    """One party's still held figures by day, with the totals they were built from."""

    party: str
    days: tuple[HeldDay, ...]
    total: Interval
    findings: tuple[MoreOutThanCaptured, ...]
    captured: Totals
    out: Totals


def still_held(
    entries: Iterable[Entry], *, party: str | None = None, population: str = "hostages"
) -> tuple[StillHeld, ...]:
    """Still held by day for each party (one party, or every party with entries), sorted."""
    relevant = [
        e
        for e in entries
        if e.population == population
        and e.kind in (CAPTURED, *OUT)
        and (party is None or e.party == party)
    ]
    parties = sorted({e.party for e in relevant}) if party is None else [party]
    return tuple(_for_party(p, [e for e in relevant if e.party == p]) for p in parties)


def _for_party(party: str, entries: list[Entry]) -> StillHeld:
    captured = totals(entries, kind=CAPTURED)
    out = totals([e for e in entries if e.kind in OUT])
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
    party: str, date: dt.date, captured: Totals, out: Totals
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
