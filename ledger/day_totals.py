"""The read model of the totals: each component's part of each day, kept as rows.

The components of `ledger.counting` are independent, so a question's totals are the sum,
day by day, of each component's part. A write changes only the components it reaches; their
parts are computed again in the write's own transaction (`ledger.cases.read_model`) and
stored (`ledger.storage.day_totals`), and a question's totals are then a query over the rows:
a GROUP BY day with a running sum, as a spreadsheet or a peer's SQL adds up a ledger.

Kept per component: the questions of one kind, of one population or of all of them, with no
other filter (the dashboard's headlines and the figures most readers ask for). Any other
question (a party, a nationality, an exchange, several kinds) and each day's entries and
findings are worked out from the analysis, as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.counting import Component
from ledger.scope import Question
from ledger.totals import EMPTY, INF, Day, Interval, Totals, component_days

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class DayPart:
    """One component's part of one day of a question's totals (one row of `day_total`)."""

    component: str
    population: str
    kind: str
    day: dt.date
    daily_low: float
    daily_high: float | None  # None: no upper bound
    # How much the component's running total moved on the day; None: from the day on, the
    # running total has no upper bound.
    moved_low: float
    moved_high: float | None
    approx_from: dt.date | None


@dataclass(frozen=True)
class DaySum:
    """One day of a question's totals, added up over the components (a row of the query)."""

    day: dt.date
    daily_low: float
    daily_high: float | None
    total_low: float
    total_high: float | None
    approx_from: dt.date | None


def kept(question: Question) -> bool:
    """Whether the read model holds the question's figures: one kind, of one population or
    of every one, and no other filter."""
    narrowed = (question.party, question.nationality, question.framework)
    return (
        question.kind is not None
        and len(question.kind) == 1
        and not any(v is not None for v in narrowed)
        and question.exchange is None
        and question.batch is None
    )


def component_key(component: Component) -> str:
    """The component's name in the rows: the sha-1 of its statements' ids, so every server
    names a component the same (a statement is in one component at a time)."""
    ids = "\n".join(sorted(row.id for row in component.rows))
    return hashlib.sha1(ids.encode(), usedforsecurity=False).hexdigest()


def parts(component: Component) -> list[DayPart]:
    """The component's parts of each kept question it answers: one row per kind and day,
    from its first to its last day the question counts (before and after those, its part
    of the running total stays what it was)."""
    key = component_key(component)
    found = []
    for kind in sorted(component.kinds):
        asked = component.asked(Question(population=component.population, kind=(kind,)))
        if not any(asked):
            continue
        statuses = component.statuses(asked)
        counted = [row for row, status in zip(component.rows, statuses, strict=True) if status]
        if not counted:
            continue
        first = min(row.period.start for row in counted)
        last = max(row.period.end for row in counted)
        approx = [row.period.start for row in counted if row.approx]
        approx_from = min(approx) if approx else None
        before = (0.0, 0.0)
        for day, daily, total in component_days(component, asked):
            if not first <= day <= last:
                continue
            found.append(
                DayPart(
                    component=key,
                    population=component.population,
                    kind=kind,
                    day=day,
                    daily_low=daily[0],
                    daily_high=_finite(daily[1]),
                    moved_low=total[0] - before[0],
                    moved_high=_moved(before[1], total[1]),
                    approx_from=approx_from,
                )
            )
            before = total
    return found


def _finite(value: float) -> float | None:
    return None if value == INF else value


def _moved(before: float, after: float) -> float | None:
    if after == INF:
        return None if before != INF else 0.0
    return after - before


def totals_of(sums: Sequence[DaySum], start: dt.date | None, end: dt.date | None) -> Totals:
    """The totals of a question from its days added up over the components (sorted by day,
    only days some component counts on): every day from the first to the last, shown from
    `start` to `end`, as `ledger.totals.answer` gives them without entries and findings."""
    if not sums:
        return EMPTY
    first, last = sums[0].day, sums[-1].day
    until = min(last, end or last)
    shown_from = max(first, start or first)
    approx_from = min((s.approx_from for s in sums if s.approx_from is not None), default=None)

    def approx(day: dt.date) -> bool:
        return approx_from is not None and approx_from <= day

    days, total = [], Interval(0, 0)
    for day, daily, running in _every_day(sums, until):
        total = running
        if day >= shown_from:
            days.append(Day(day, daily, running, (), approx(day), ()))
    if until < first:
        total = Interval(0, 0)
    return Totals(tuple(days), total, approx(until), (), (), (), ())


def _every_day(
    sums: Iterable[DaySum], until: dt.date
) -> Iterable[tuple[dt.date, Interval, Interval]]:
    """Each day from the first sum's to `until`: days no component counts on move nothing."""
    running = Interval(0, 0)
    day: dt.date | None = None
    for s in sums:
        if s.day > until:
            break
        while day is not None and day + ONE_DAY < s.day:
            day += ONE_DAY
            yield day, Interval(0, 0), running
        running = _interval(s.total_low, s.total_high)
        day = s.day
        yield day, _interval(s.daily_low, s.daily_high), running
    while day is not None and day < until:
        day += ONE_DAY
        yield day, Interval(0, 0), running


def _interval(low: float, high: float | None) -> Interval:
    return Interval.of(low, INF if high is None else high)
