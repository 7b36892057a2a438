"""The counting engine: exact intervals from the statements in force (DESIGN.md, rules 1-5).

`analyse` splits the statements into independent components. What a component allows (its
variables, its readings under rule 4, the regions it must place people in under rule 5) is
worked out once, when a question first asks something of it: a question about one population
and kind leaves the rest of a large ledger alone. Any question (a selection of groups) is then
answered per component, per segment, by the nested path or by HiGHS, and the answers of the
components are added day by day.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from ledger.counting.components import components
from ledger.counting.context import Context, Named
from ledger.counting.findings import Region, regions
from ledger.counting.model import Problem, Statement, problem, status_of_rows
from ledger.counting.readings import Oracle, Readings, readings
from ledger.counting.solver import bounds_setting_aside
from ledger.records import Period
from ledger.scope import NONE, Question

INF = math.inf
Bounds = tuple[float, float]
T = TypeVar("T")


class Component:
    """Statements that share groups and days, and what they allow: worked out when a
    question first asks something of them (most questions touch few of a ledger's
    components), then kept."""

    def __init__(self, rows: Sequence[Statement], context: Context) -> None:
        self.rows = tuple(rows)
        self.context = context
        self.population = self.rows[0].scope.population
        self.kinds = frozenset(k for r in self.rows for k in r.scope.kind)
        # Where it stands among the components: by its earliest statement, as `analyse` finds.
        self.first = min((r.period.start, r.id) for r in self.rows)
        self.span = Period(self.first[0], max(r.period.end for r in self.rows))
        self._kept: dict[Hashable, Any] = {}

    @cached_property
    def problem(self) -> Problem:
        return problem(self.rows, self.context)

    @cached_property
    def oracle(self) -> Oracle:
        return Oracle(self.problem)

    @cached_property
    def readings(self) -> Readings:
        return readings(self.oracle)

    @cached_property
    def regions(self) -> list[Region]:
        return regions(self.problem, self.least, self.bounds)

    @property
    def nested(self) -> bool:
        return self.oracle.nested

    def kept(self, key: Hashable, work: Callable[[], T]) -> T:
        """What `work` gives for this component, worked out once per key: a component that
        a write leaves alone answers the same question again without working anything out."""
        if key not in self._kept:
            self._kept[key] = work()
        return self._kept[key]  # type: ignore[no-any-return]

    def asked(self, question: Question) -> list[int]:
        """How much of each variable the question asks for."""
        return self.kept(("asked", question), lambda: self.problem.asked(question))

    def statuses(self, asked: Sequence[int]) -> list[int]:
        """How much of each row's groups the asked variables make up."""
        return self.kept(("statuses", tuple(asked)), lambda: status_of_rows(self.problem, asked))

    def bounds(self, asked: Sequence[int]) -> Bounds:
        """The least and greatest sum of the asked variables over every reading."""
        listed = self.readings.readings
        if listed is None:
            return _all_readings(self, asked)
        low, high = INF, -INF
        for aside in listed:
            lo, hi = self.oracle.bounds(self.oracle.every - aside, asked)
            low, high = min(low, lo), max(high, hi)
        return low, high

    def least(self, asked: Sequence[int]) -> float:
        """The least sum of the asked variables over every reading (one program each, where
        `bounds` solves two)."""
        listed = self.readings.readings
        if listed is None:
            return _all_readings(self, asked)[0]
        return min(self.oracle.least(self.oracle.every - aside, asked) for aside in listed)

    def figures(self, asked: Sequence[int]) -> tuple[list[Bounds], list[Bounds]]:
        """Per segment: the cumulative by its last day, and its own sum (kept per question
        asked of it: a component a write leaves alone answers again without solving)."""
        return self.kept(("figures", tuple(asked)), lambda: self._worked_figures(asked))

    def _worked_figures(self, asked: Sequence[int]) -> tuple[list[Bounds], list[Bounds]]:
        variables = self.problem.variables
        cumulative: list[Bounds] = []
        own: list[Bounds] = []
        counted: list[int] = [NONE] * len(variables)
        for s in range(len(self.problem.segments)):
            here = [a if v.segment == s else NONE for v, a in zip(variables, asked, strict=True)]
            if not any(here):
                own.append((0, 0))
                cumulative.append(cumulative[-1] if cumulative else (0, 0))
                continue
            counted = [max(c, h) for c, h in zip(counted, here, strict=True)]
            own.append(self.bounds(here))
            cumulative.append(self.bounds(counted))
        return cumulative, own


@dataclass(frozen=True)
class Indexes:
    """Where each statement's component is, and which components hold statements of each
    population and exchange (None: of no stated exchange), in all and by the months their
    days span: what a change needs to find the components it reaches without reading the
    whole ledger."""

    holding: dict[str, Component]
    by_exchange: dict[tuple[str, str | None], frozenset[Component]]
    # (population, exchange, month) -> the components of those whose days reach into that
    # month; a component spanning more than WIDE months is under the month WIDE_KEY.
    by_month: dict[tuple[str, str | None, int], frozenset[Component]] = field(default_factory=dict)

    @classmethod
    def of(cls, components: Iterable[Component]) -> Indexes:
        return cls({}, {}, {}).moved((), components)

    def moved(self, left: Iterable[Component], came: Iterable[Component]) -> Indexes:
        """The indexes once the components `left` are replaced by those that `came`; only
        the keys they hold are touched."""
        holding = dict(self.holding)
        changed: dict[tuple[str, str | None], set[Component]] = {}
        months: dict[tuple[str, str | None, int], set[Component]] = {}

        def held(key: tuple[str, str | None]) -> set[Component]:
            if key not in changed:
                changed[key] = set(self.by_exchange.get(key, ()))
            return changed[key]

        def in_month(key: tuple[str, str | None, int]) -> set[Component]:
            if key not in months:
                months[key] = set(self.by_month.get(key, ()))
            return months[key]

        for component in left:
            for row in component.rows:
                holding.pop(row.id, None)
                held((component.population, row.scope.exchange)).discard(component)
            for key in _month_keys(component):
                in_month(key).discard(component)
        for component in came:
            for row in component.rows:
                holding[row.id] = component
                held((component.population, row.scope.exchange)).add(component)
            for key in _month_keys(component):
                in_month(key).add(component)
        by_exchange = {**self.by_exchange, **{k: frozenset(v) for k, v in changed.items()}}
        by_month = {**self.by_month, **{k: frozenset(v) for k, v in months.items()}}
        return Indexes(holding, by_exchange, by_month)

    def meeting(
        self, population: str, exchanges: Iterable[str | None], period: Period
    ) -> Iterator[Component]:
        """The components of the population holding statements of these exchanges whose
        days overlap the period (each may come more than once)."""
        first, last = _month(period.start), _month(period.end)
        wide = last - first > WIDE
        for exchange in exchanges:
            if wide:
                candidates: Iterable[Component] = self.by_exchange.get((population, exchange), ())
            else:
                candidates = itertools.chain.from_iterable(
                    self.by_month.get((population, exchange, month), ())
                    for month in (WIDE_KEY, *range(first, last + 1))
                )
            for c in candidates:
                if c.span.start <= period.end and period.start <= c.span.end:
                    yield c


# A component whose days span more months than this is found by scanning, not by month.
WIDE = 24
WIDE_KEY = -1


def _month(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_keys(component: Component) -> Iterator[tuple[str, str | None, int]]:
    first, last = _month(component.span.start), _month(component.span.end)
    months = (WIDE_KEY,) if last - first > WIDE else range(first, last + 1)
    for exchange in {row.scope.exchange for row in component.rows}:
        for month in months:
            yield (component.population, exchange, month)


@dataclass
class Analysis:
    """The statements in force, split into components."""

    statements: tuple[Statement, ...]
    context: Context
    components: list[Component]
    given: Indexes | None = field(default=None, repr=False, compare=False)
    # What the statements name, counted: where the next change's context starts from.
    named: Named | None = field(default=None, repr=False, compare=False)
    # Of an analysis revised from another: the components that left it, and those that came.
    change: tuple[tuple[Component, ...], tuple[Component, ...]] | None = field(
        default=None, repr=False, compare=False
    )

    @cached_property
    def indexes(self) -> Indexes:
        return self.given if self.given is not None else Indexes.of(self.components)

    def touching(self, question: Question) -> Iterable[tuple[Component, list[int]]]:
        """The components the question asks something of, with what it asks of each
        variable."""
        for component in self.components:
            if question.population not in (None, component.population):
                continue
            if question.kind is not None and not component.kinds & set(question.kind):
                continue
            asked = component.asked(question)
            if any(asked):
                yield component, asked


def analyse(
    statements: Iterable[Statement], exchanges: Mapping[str, Period | None] | None = None
) -> Analysis:
    """Split the statements into components (each worked out when first asked)."""
    ordered = tuple(sorted(statements, key=lambda s: (s.period.start, s.id)))
    named = Named.of(ordered)
    context = named.context(exchanges)
    found = []
    for members in components(ordered, context):
        rows = sorted((ordered[i] for i in members), key=lambda s: (s.id, s.period))
        found.append(component(rows, context))
    return Analysis(ordered, context, found, named=named)


def component(rows: Sequence[Statement], context: Context) -> Component:
    """One component, to be worked out when first asked."""
    return Component(rows, context)


def _all_readings(component: Component, asked: Sequence[int]) -> Bounds:
    """Bounds over more readings than are listed: one program that chooses which rows to set
    aside (as few as the readings do) along with the counts."""
    aside = component.readings.set_aside
    suspects = frozenset().union(*(c.rows for c in component.readings.clashes))
    return bounds_setting_aside(component.problem, asked, suspects, aside)


__all__ = ["Analysis", "Component", "Context", "Indexes", "Statement", "analyse", "component"]
