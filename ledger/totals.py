"""Totals: what the reports allow had happened by each day, as exact intervals (DESIGN.md).

For a question (a selection of groups), each day's `low` and `high` are the least and greatest
count, daily and by the end of the day, over every truth consistent with the statements in
force, taken over every reading where reports conflict. The components of `ledger.counting`
are answered one by one and added day by day; the findings behind the figures (conflicts,
implied counts, approximate reports) come with them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, ClassVar

from ledger.counting import Analysis, Component, analyse
from ledger.counting.findings import PLACED, REST, Region
from ledger.counting.model import Statement, bits
from ledger.records import Period
from ledger.scope import NONE, Question, Scope, combine

INF = math.inf
ONE_DAY = dt.timedelta(days=1)


class Plain:
    """Gives a totals value a JSON-ready form: dates in ISO, sets sorted, scopes as objects."""

    check: ClassVar[str | None] = None  # names the finding in a list of checks

    def to_dict(self, leave_out: Collection[str] = ()) -> dict[str, Any]:
        """Its plain (JSON) form, without the fields named in `leave_out`."""
        found = {"check": self.check} if self.check else {}
        kept = (f.name for f in fields(self) if f.name not in leave_out)  # type: ignore[arg-type]
        return {**found, **{name: _plain(getattr(self, name)) for name in kept}}


@dataclass(frozen=True)
class Interval(Plain):
    """A count known to lie in [low, high]; high is None when open-ended."""

    low: int
    high: int | None

    @classmethod
    def of(cls, low: float, high: float) -> Interval:
        return cls(int(low), None if high == INF else int(high))


@dataclass(frozen=True)
class Said(Plain):
    """One report of a conflict: what it states, who states it, what the others imply."""

    entry: str
    count: int
    qualifier: str
    stated: Interval
    period: Period
    sources: tuple[str, ...]
    implied: Interval | None  # what the other reports of its conflict allow for it

    @property
    def words(self) -> str:
        """What it states, in words: "at least 10", "30 to 40"."""
        if self.qualifier == "between":
            return f"{self.stated.low} to {self.stated.high}"
        if self.qualifier == "at_most":
            return f"at most {self.stated.high}"
        said = {"at_least": "at least ", "approx": "about "}
        return f"{said.get(self.qualifier, '')}{self.stated.low}"


@dataclass(frozen=True)
class Conflict(Plain):
    """Reports that cannot all be true, and the readings that set the fewest of them aside."""

    check: ClassVar[str | None] = "conflict"

    id: str
    period: Period
    entries: tuple[str, ...]
    reports: tuple[Said, ...]
    readings: tuple[tuple[str, ...], ...]  # per reading, the entries it sets aside
    set_aside: int


@dataclass(frozen=True)
class Implied(Plain):
    """People the bounds place where no report states them (DESIGN.md, rule 5)."""

    check: ClassVar[str | None] = "implied"

    id: str
    reason: str  # rest, placed or undated
    period: Period
    days: tuple[Period, ...]
    interval: Interval
    entries: tuple[str, ...]  # the reports whose count it is part of
    less: tuple[str, ...]  # the finer reports inside them that leave it out (rest)
    description: str


@dataclass(frozen=True)
class Approximate(Plain):
    """A report that gives an approximate count: counted as stated, flagged."""

    check: ClassVar[str | None] = "approx"

    entry: str
    count: int
    period: Period


@dataclass(frozen=True)
class Event(Plain):
    """Reports with the same scope and period: one event, counted once (rule 3)."""

    scope: Scope
    period: Period
    interval: Interval  # what the reports say together (their hull where they disagree)
    entries: tuple[str, ...]
    sources: frozenset[str]
    approx: bool

    @property
    def corroboration(self) -> int:
        """How many independent sources back the event."""
        return len(self.sources)

    def to_dict(self, leave_out: Collection[str] = ()) -> dict[str, Any]:
        return {**super().to_dict(leave_out), "corroboration": self.corroboration}


@dataclass(frozen=True)
class Day(Plain):
    """One day: that day's movement and the running total by its end."""

    date: dt.date
    daily: Interval
    cumulative: Interval
    entries: tuple[str, ...]
    approx: bool
    findings: tuple[str, ...]  # the conflicts and implied counts behind the day's figures


@dataclass(frozen=True)
class Totals(Plain):
    """Day-by-day intervals for a question, with every finding behind them."""

    days: tuple[Day, ...]
    total: Interval
    approx: bool
    conflicts: tuple[Conflict, ...]
    implied: tuple[Implied, ...]
    checks: tuple[Approximate, ...]
    events: tuple[Event, ...]


EMPTY = Totals((), Interval(0, 0), False, (), (), (), ())


def totals(
    ledger: Analysis | Iterable[Any],
    *,
    exchanges: Mapping[str, Period | None] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    **question: Any,
) -> Totals:
    """Day-by-day totals for a question (population, kind, party, nationality, framework,
    exchange, batch; None: any) of an analysis or of statements (entries, or Statements)."""
    analysis = ledger if isinstance(ledger, Analysis) else analyse(statements(ledger), exchanges)
    return answer(analysis, ask(**question), start, end)


def ask(**given: Any) -> Question:
    """A question from filters; `kind` may be one kind or several."""
    kind = given.get("kind")
    if isinstance(kind, str):
        given = {**given, "kind": (kind,)}
    return Question(**{k: v for k, v in given.items() if k in Question._fields})


def statements(records: Iterable[Any]) -> list[Statement]:
    """Statements of entries (anything with a `statement`), or statements as they are."""
    return [r if isinstance(r, Statement) else r.statement for r in records]


def answer(
    analysis: Analysis, question: Question, start: dt.date | None, end: dt.date | None
) -> Totals:
    """The totals of one question of an analysis, shown from `start` to `end`."""
    matching = []
    for component, asked in analysis.touching(question):
        statuses = component.statuses(asked)
        if any(statuses):
            matching.append((component, asked, statuses))
    if not matching:
        return EMPTY
    first = min(c.rows[i].period.start for c, _, st in matching for i, s in enumerate(st) if s)
    last = max(c.rows[i].period.end for c, _, st in matching for i, s in enumerate(st) if s)
    # Clipping only narrows the days shown: every figure is computed on the whole series.
    shown = Period(max(first, start or first), min(last, end or last))
    until = min(last, end or last)
    series = _Series(first, until if until >= first else first)
    conflicts: list[Conflict] = []
    implied: list[Implied] = []
    approximate: list[Approximate] = []
    for component, asked, row_statuses in matching:
        found = _conflicts(component) + _implied(component, asked)
        conflicts += [f for f in found if isinstance(f, Conflict)]
        implied += [f for f in found if isinstance(f, Implied)]
        series.add(component, asked, row_statuses, found)
        approximate += [
            Approximate(r.id, r.count, r.period)
            for r, s in zip(component.rows, row_statuses, strict=True)
            if s and r.approx
        ]
    days = series.days(shown) if shown.start <= shown.end else ()
    total = series.cumulative(until) if until >= first else Interval(0, 0)
    return Totals(
        days=days,
        total=total,
        approx=series.approx_by(until),
        conflicts=tuple(sorted(conflicts, key=lambda c: (c.period, c.id))),
        implied=tuple(sorted(implied, key=lambda f: (f.period, f.reason, f.id))),
        checks=tuple(sorted(approximate, key=lambda a: (a.period, a.entry))),
        events=_events(matching),
    )


class _Series:
    """The day-by-day sums over the components of one answer."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.first, self.width = first, (last - first).days + 1
        n = self.width
        self.daily = [[0.0, 0.0] for _ in range(n)]
        self.cum = [[0.0, 0.0] for _ in range(n)]
        self.carry = [[0.0, 0.0] for _ in range(n + 1)]  # added to every later day
        self.entries: list[set[str]] = [set() for _ in range(n)]
        self.findings: list[set[str]] = [set() for _ in range(n)]
        self.approx_from: dt.date | None = None

    def add(
        self,
        component: Component,
        asked: list[int],
        row_statuses: list[int],
        found: list[Conflict | Implied],
    ) -> None:
        problem = component.problem
        for day, daily, cum in component_days(component, asked):
            i = (day - self.first).days
            if not 0 <= i < self.width:
                continue
            self.daily[i][0] += daily[0]
            self.daily[i][1] += daily[1]
            self.cum[i][0] += cum[0]
            self.cum[i][1] += cum[1]
        previous = component.figures(asked)[0][-1]
        after = (problem.segments[-1].end - self.first).days + 1
        if 0 <= after < self.width:
            self.carry[after][0] += previous[0]
            self.carry[after][1] += previous[1]
        for row, status in zip(problem.rows, row_statuses, strict=True):
            if not status:
                continue
            for day in _each(row.period):
                i = (day - self.first).days
                if 0 <= i < self.width:
                    self.entries[i].add(row.id)
            if row.approx and (self.approx_from is None or row.period.start < self.approx_from):
                self.approx_from = row.period.start
        for finding in found:
            for day in _each(finding.period):
                i = (day - self.first).days
                if 0 <= i < self.width:
                    self.findings[i].add(finding.id)

    def days(self, shown: Period) -> tuple[Day, ...]:
        found, carried = [], [0.0, 0.0]
        for i in range(self.width):
            carried[0] += self.carry[i][0]
            carried[1] += self.carry[i][1]
            day = self.first + dt.timedelta(days=i)
            if not shown.start <= day <= shown.end:
                continue
            found.append(
                Day(
                    date=day,
                    daily=Interval.of(*self.daily[i]),
                    cumulative=Interval.of(
                        self.cum[i][0] + carried[0], self.cum[i][1] + carried[1]
                    ),
                    entries=tuple(sorted(self.entries[i])),
                    approx=self.approx_by(day),
                    findings=tuple(sorted(self.findings[i])),
                )
            )
        return tuple(found)

    def cumulative(self, day: dt.date) -> Interval:
        i = (day - self.first).days
        carried = [sum(c[0] for c in self.carry[: i + 1]), sum(c[1] for c in self.carry[: i + 1])]
        return Interval.of(self.cum[i][0] + carried[0], self.cum[i][1] + carried[1])

    def approx_by(self, day: dt.date) -> bool:
        return self.approx_from is not None and self.approx_from <= day


def component_days(
    component: Component, asked: list[int]
) -> Iterator[tuple[dt.date, tuple[float, float], tuple[float, float]]]:
    """Each day of the component's segments: what it moved that day and its running total by
    the day's end, for the asked variables. Within a segment of several days the people may
    have moved on any of them: each day's movement is at least none, and the running total
    is known only by the segment's last day."""
    cumulative, own = component.figures(asked)
    previous = (0.0, 0.0)
    for s, segment in enumerate(component.problem.segments):
        daily = own[s] if segment.days == 1 else (0.0, own[s][1])
        for day in _each(segment):
            yield (
                day,
                daily,
                cumulative[s] if day == segment.end else (previous[0], cumulative[s][1]),
            )
        previous = cumulative[s]


# --- findings -----------------------------------------------------------------------------------


def findings(analysis: Analysis) -> tuple[tuple[Conflict, ...], tuple[Implied, ...]]:
    """Every conflict and implied count of the whole ledger."""
    conflicts: list[Conflict] = []
    implied: list[Implied] = []
    for component in analysis.components:
        conflicts += _conflicts(component)
        implied += [_as_implied(component, region) for region in component.regions]
    return (
        tuple(sorted(conflicts, key=lambda c: (c.period, c.id))),
        tuple(sorted(implied, key=lambda f: (f.period, f.reason, f.id))),
    )


def _conflicts(component: Component) -> list[Conflict]:
    rows = component.rows
    found = []
    for clash in component.readings.clashes:
        members = sorted(clash.rows, key=lambda i: rows[i].id)
        ids = tuple(rows[i].id for i in members)
        reports = tuple(
            Said(
                entry=rows[i].id,
                count=rows[i].count,
                qualifier=rows[i].qualifier,
                stated=Interval.of(rows[i].low, rows[i].high),
                period=rows[i].period,
                sources=tuple(sorted(rows[i].sources)),
                implied=Interval.of(*clash.implied[i]) if i in clash.implied else None,
            )
            for i in members
        )
        found.append(
            Conflict(
                id=_finding_id("cfl", ids),
                period=Period(
                    min(rows[i].period.start for i in members),
                    max(rows[i].period.end for i in members),
                ),
                entries=ids,
                reports=reports,
                readings=tuple(
                    tuple(sorted(rows[i].id for i in aside)) for aside in clash.readings
                ),
                set_aside=len(clash.readings[0]),
            )
        )
    return found


def _implied(component: Component, asked: list[int]) -> list[Conflict | Implied]:
    """The component's implied counts that bear on what the question asks: a region it asks
    for that its covering reports spread over other days or other groups it treats apart."""
    problem = component.problem
    found: list[Conflict | Implied] = []
    for region in component.regions:
        inside = [asked[v] for v in bits(region.vars)]
        status = combine(inside)
        if status == NONE:
            continue
        if region.reason == PLACED:
            around = 0
            for row in region.covering:
                around |= problem.row_vars[row]
            rest = [asked[v] for v in bits(around & ~region.vars)]
            same_days = region.period == Period(
                min(problem.rows[r].period.start for r in region.covering),
                max(problem.rows[r].period.end for r in region.covering),
            )
            if same_days and combine(rest + inside) == status and len(set(inside)) == 1:
                continue  # the question treats the placement and the rest alike
        found.append(_as_implied(component, region))
    return found


def _as_implied(component: Component, region: Region) -> Implied:
    rows = component.rows
    entries = tuple(sorted(rows[i].id for i in region.covering))
    less = tuple(sorted(rows[i].id for i in region.less))
    interval = Interval.of(region.low, region.high)
    return Implied(
        id=_finding_id("imp", (region.reason, *entries, "-", *less, *map(str, region.days))),
        reason=region.reason,
        period=region.period,
        days=region.days,
        interval=interval,
        entries=entries,
        less=less,
        description=_described(region, entries, less, interval),
    )


def _described(region: Region, entries: tuple[str, ...], less: tuple[str, ...], n: Interval) -> str:
    count = str(n.low) if n.low == n.high else f"{n.low} to {n.high if n.high else 'more'}"
    days = " and ".join(_span(d) for d in region.days)
    of = ", ".join(entries)
    if region.reason == REST:
        return (
            f"{count} of {of} ({days}) in no group or day that {', '.join(less)} give: the "
            "rest of the count, which no report states on its own"
        )
    if region.reason == PLACED:
        return f"{count} of {of} placed by what other reports state ({days})"
    return f"{count} of {of} on a day from {_span(region.period, ' to ')} that no report gives"


def _span(period: Period, joined: str = "..") -> str:
    if period.start == period.end:
        return period.start.isoformat()
    return f"{period.start.isoformat()}{joined}{period.end.isoformat()}"


def _finding_id(prefix: str, parts: Iterable[str]) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{prefix}_{digest[:16]}"


# --- events -------------------------------------------------------------------------------------


def _events(matching: list[tuple[Component, list[int], list[int]]]) -> tuple[Event, ...]:
    """The reported events (one scope and period, however many reports tell of it) that the
    question asks about. Reports of one event meet, so they share a component: each
    component's are found once per question."""
    found = [
        ordered
        for component, asked, statuses in matching
        for ordered in component.kept(
            ("events", tuple(asked)), lambda c=component, st=statuses: _events_of(c, st)
        )
    ]
    return tuple(event for _, event in sorted(found, key=lambda ordered: ordered[0]))


def _events_of(component: Component, statuses: list[int]) -> list[tuple[tuple, Event]]:
    groups: dict[tuple[Scope, Period], list[Statement]] = defaultdict(list)
    for row, status in zip(component.rows, statuses, strict=True):
        if status:
            groups[(row.scope, row.period)].append(row)
    found = []
    for (scope, period), rows in groups.items():
        low = max(r.low for r in rows)
        high = min(r.high for r in rows)
        if low > high:  # reports of one event that disagree: their hull
            low, high = min(r.low for r in rows), max(r.high for r in rows)
        event = Event(
            scope=scope,
            period=period,
            interval=Interval.of(low, high),
            entries=tuple(sorted(r.id for r in rows)),
            sources=frozenset().union(*(r.sources for r in rows)),
            approx=any(r.approx for r in rows),
        )
        # In the order of their days, then scopes: plain dates and text compare fastest.
        found.append(((period.start, period.end, repr(scope)), event))
    return found


# --- helpers ------------------------------------------------------------------------------------


def _each(period: Period) -> Iterable[dt.date]:
    day = period.start
    while day <= period.end:
        yield day
        day += ONE_DAY


def _plain(value: Any) -> Any:
    if isinstance(value, Plain):
        return value.to_dict()
    if isinstance(value, Scope):
        return scope_dict(value)
    if isinstance(value, Period):
        return {"start": value.start.isoformat(), "end": value.end.isoformat()}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def scope_dict(scope: Scope) -> dict[str, Any]:
    """A scope as the API writes it: one value as itself, several as a list, None as null."""
    return {
        "population": scope.population,
        "kind": _one_or_many(scope.kind),
        "party": scope.party,
        "nationality": _one_or_many(scope.nationality),
        "framework": scope.framework,
        "exchange": scope.exchange,
        "batch": _one_or_many(scope.batch),
    }


def _one_or_many(values: tuple[str, ...] | None) -> str | list[str] | None:
    if values is None:
        return None
    return values[0] if len(values) == 1 else list(values)
