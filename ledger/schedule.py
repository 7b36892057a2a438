"""Schedule against reality: the terms' expected cumulative beside the reported one, by day.

Expected figures come from the same engine as totals: terms are read as reports of what should
happen, so terms that restate each other are one event and a per-period term over per-day ones is
a roll-up check (DESIGN.md, "Schedule against reality").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.records import Entry, Period, Term
from ledger.totals import Interval, Plain, Totals, totals

STATUSES = ("met", "behind", "ahead", "unknown")


@dataclass(frozen=True)
class ScheduleDay(Plain):
    """One day: the cumulative the terms expect, the one reported, and how they compare."""

    date: dt.date
    expected: Interval | None  # None outside the days the terms cover
    reported: Interval | None  # None before the first or after the last day reported on
    status: str


@dataclass(frozen=True)
class Schedule(Plain):
    """The day-by-day comparison, with the totals of each side for their entries and findings."""

    days: tuple[ScheduleDay, ...]
    expected: Totals
    reported: Totals


def schedule(
    terms: Iterable[Term],
    entries: Iterable[Entry],
    *,
    population: str,
    kind: str,
    party: str,
    framework: str | None = None,
) -> Schedule:
    """Expected against reported cumulative counts for one population, kind and party."""
    wanted = {"population": population, "kind": kind, "party": party, "framework": framework}
    promised = expected_entries(terms)
    expected = totals(promised, **wanted)
    # Terms speak for their own arrangement: releases under another framework (a parallel
    # deal) are not progress against them, so only the terms' frameworks are reported.
    frameworks = {e.framework for e in promised if framework in (None, e.framework)}
    reported = totals([e for e in entries if e.framework in frameworks], **wanted)
    by_day = {d.date: d.cumulative for d in expected.days}
    seen = {d.date: d.cumulative for d in reported.days}
    dates = [*by_day, *seen]
    if not dates:
        return Schedule((), expected, reported)
    days = tuple(
        ScheduleDay(
            date, by_day.get(date), seen.get(date), status(by_day.get(date), seen.get(date))
        )
        for date in Period(min(dates), max(dates)).each_day()
    )
    return Schedule(days, expected, reported)


def expected_entries(terms: Iterable[Term]) -> list[Entry]:
    """Terms read as reports: a per-day term gives one per day, a per-period term one in all."""
    found = []
    for term in terms:
        periods = (
            [Period(d, d) for d in term.period.each_day()] if term.per == "day" else [term.period]
        )
        found += [
            Entry(
                id=term.id,
                kind=term.kind,
                population=term.population,
                count=term.count,
                qualifier=term.qualifier,
                period=period,
                party=term.party,
                framework=term.framework,
                description=term.description,
                evidence=term.evidence,
            )
            for period in periods
        ]
    return found


def status(expected: Interval | None, reported: Interval | None) -> str:
    """met, behind, ahead or unknown: only what holds for every value both intervals allow."""
    if expected is None or reported is None:
        return "unknown"
    reported_high = reported.high
    if reported.low >= expected.low and (
        expected.high is None or (reported_high is not None and reported_high <= expected.high)
    ):
        return "met"
    if reported_high is not None and reported_high < expected.low:
        return "behind"
    if expected.high is not None and reported.low > expected.high:
        return "ahead"
    return "unknown"
