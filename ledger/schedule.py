"""Schedule against reality (DESIGN.md, rule 6): per exchange, the cumulative its terms
expect beside the one reported, day by day.

Expected figures come from the same engine as totals: terms are read as reports of what should
happen, so terms that restate each other are one event, and a per-period term over per-day
ones is checked against them. The reported side counts the exchange's entries only, and only
the arrangement the terms speak for (their framework, where they all name the same one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.counting import Analysis
from ledger.errors import InvalidInput
from ledger.records import Exchange, Period, Term
from ledger.scope import Question
from ledger.totals import EMPTY, Interval, Plain, Totals, answer, totals

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
    """The day-by-day comparison for one exchange, with the totals of each side."""

    exchange: str | None
    days: tuple[ScheduleDay, ...]
    expected: Totals
    reported: Totals
    terms: tuple[str, ...]


def schedule(
    terms: Iterable[Term],
    analysis: Analysis,
    exchanges: Iterable[Exchange] = (),
    *,
    population: str,
    kind: str,
    party: str | None = None,
    framework: str | None = None,
    exchange: str | None = None,
) -> Schedule:
    """Expected against reported cumulative counts for one exchange's terms."""
    chosen = [
        t
        for t in terms
        if t.population == population
        and t.kind == kind
        and party in (None, t.party)
        and framework in (None, t.framework)
        and exchange in (None, t.exchange)
    ]
    named = sorted({t.exchange for t in chosen if t.exchange is not None})
    if exchange is None and len(named) > 1:
        raise InvalidInput.one(
            "exchange", f"the terms belong to several exchanges ({', '.join(named)}): name one."
        )
    exchange = exchange or (named[0] if named else None)
    days = {e.id: e.span for e in exchanges}
    question = {"population": population, "kind": kind, "party": party}
    expected = totals([s for t in chosen for s in t.statements()], exchanges=days, **question)
    if not chosen:
        return Schedule(exchange, (), expected, EMPTY, ())
    # Terms speak for their own arrangement: releases under another framework (a parallel
    # deal during the same truce) are not progress against them.
    frameworks = {t.framework for t in chosen}
    spoken = framework or (frameworks.pop() if len(frameworks) == 1 else None)
    reported = answer(
        analysis,
        Question(population, (kind,), party, None, spoken, exchange),
        None,
        None,
    )
    by_day = {d.date: d.cumulative for d in expected.days}
    seen = {d.date: d.cumulative for d in reported.days}
    dates = [*by_day, *seen]
    listed = tuple(sorted({t.id for t in chosen}))
    if not dates:
        return Schedule(exchange, (), expected, reported, listed)
    found = tuple(
        ScheduleDay(
            date, by_day.get(date), seen.get(date), status(by_day.get(date), seen.get(date))
        )
        for date in Period(min(dates), max(dates)).each_day()
    )
    return Schedule(exchange, found, expected, reported, listed)


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
