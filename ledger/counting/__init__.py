"""The counting engine: exact intervals from the statements in force (DESIGN.md, rules 1-5).

`analyse` splits the statements into independent components and works out, once, what each
allows: its readings (rule 4) and the regions it must place people in (rule 5). Any question
(a selection of groups) is then answered per component, per segment, by the nested path or by
HiGHS, and the answers of the components are added day by day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ledger.counting.findings import Region, regions
from ledger.counting.model import Context, Problem, Statement, components, problem
from ledger.counting.readings import Oracle, Readings, readings
from ledger.counting.solver import bounds_setting_aside
from ledger.records import Period
from ledger.scope import NONE, Question

INF = math.inf
Bounds = tuple[float, float]


@dataclass
class Component:
    """Statements that share groups and days, and what they allow."""

    problem: Problem
    oracle: Oracle
    readings: Readings
    regions: list[Region]
    kinds: frozenset[str] = field(default_factory=frozenset)

    @property
    def population(self) -> str:
        return self.problem.rows[0].scope.population

    @property
    def nested(self) -> bool:
        return self.oracle.nested

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

    def figures(self, asked: Sequence[int]) -> tuple[list[Bounds], list[Bounds]]:
        """Per segment: the cumulative by its last day, and its own sum."""
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


@dataclass
class Analysis:
    """The statements in force, split into components, each worked out."""

    statements: tuple[Statement, ...]
    context: Context
    components: list[Component]

    def touching(self, question: Question) -> Iterable[tuple[Component, list[int]]]:
        """The components the question asks something of, with what it asks of each
        variable."""
        for component in self.components:
            if question.population not in (None, component.population):
                continue
            if question.kind is not None and not component.kinds & set(question.kind):
                continue
            asked = component.problem.asked(question)
            if any(asked):
                yield component, asked


def analyse(
    statements: Iterable[Statement], exchanges: Mapping[str, Period | None] | None = None
) -> Analysis:
    """Split the statements into components and work out what each allows."""
    ordered = tuple(sorted(statements, key=lambda s: (s.period.start, s.id)))
    context = Context.of(ordered, exchanges)
    found = []
    for members in components(ordered, context):
        rows = sorted((ordered[i] for i in members), key=lambda s: (s.id, s.period))
        found.append(component(rows, context))
    return Analysis(ordered, context, found)


def component(rows: Sequence[Statement], context: Context) -> Component:
    """One component worked out: its variables, readings and implied regions."""
    made = problem(rows, context)
    oracle = Oracle(made)
    kinds = frozenset(k for r in rows for k in r.scope.kind)
    worked = Component(made, oracle, readings(oracle), [], kinds)
    worked.regions = regions(made, worked.bounds)
    return worked


def _all_readings(component: Component, asked: Sequence[int]) -> Bounds:
    """Bounds over more readings than are listed: one program that chooses which rows to set
    aside (as few as the readings do) along with the counts."""
    aside = component.readings.set_aside
    suspects = frozenset().union(*(c.rows for c in component.readings.clashes))
    return bounds_setting_aside(component.problem, asked, suspects, aside)


__all__ = ["Analysis", "Component", "Context", "Statement", "analyse", "component"]
