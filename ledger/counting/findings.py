"""Implied counts (DESIGN.md, rule 5): where the bounds place people that no report states.

The variables of a component covered by the same rows form a *region*. A region that no row
covers alone, yet that must hold someone (its least count, over every reading, is above 0), is
an inference. It is the *rest* of the rows covering it where finer rows inside them leave it
out (the remainder of a running total after its daily counts, the unnamed part of an aggregate
after its breakdown); otherwise other rows *place* part of a count in it (a count that does
not say its exchange, inside a running total that does). A region that one row states but that
spans more than one day and must hold someone is *undated*: no report says on which day, so
the days' figures are ranges because of it (a four-day total, a handover that straddled
midnight).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger.counting.model import Problem, bits
from ledger.records import Period
from ledger.scope import FULL, NONE

REST, PLACED, UNDATED = "rest", "placed", "undated"


@dataclass(frozen=True)
class Region:
    """Variables covered by the same rows, and what the rows allow them to hold."""

    vars: int  # bitmask of variables
    covering: tuple[int, ...]  # the rows covering it
    less: tuple[int, ...]  # rows inside those that leave it out: what it is the rest of
    days: tuple[Period, ...]  # the segments it spans
    low: float
    high: float
    reason: str  # REST, PLACED or UNDATED

    @property
    def period(self) -> Period:
        return Period(self.days[0].start, self.days[-1].end)


def regions(
    problem: Problem,
    least: Callable[[list[int]], float],
    bounds: Callable[[list[int]], tuple[float, float]],
) -> list[Region]:
    """The regions that must hold someone and are either unstated or undated; `least` and
    `bounds` give the least and the range of a sum of variables over every reading."""
    by_mask: dict[int, int] = defaultdict(int)
    for v, variable in enumerate(problem.variables):
        by_mask[variable.mask] |= 1 << v
    stated = set(problem.row_vars)
    found = []
    for mask, region in by_mask.items():
        segments = sorted({problem.variables[v].segment for v in bits(region)})
        days = tuple(problem.segments[s] for s in segments)
        multi_day = sum(d.days for d in days) > 1
        unstated = region not in stated
        if not (unstated or multi_day):
            continue
        asked = [FULL if region >> v & 1 else NONE for v in range(len(problem.variables))]
        if least(asked) <= 0:
            continue
        low, high = bounds(asked)
        covering = _innermost(problem, [i for i in range(len(problem.rows)) if mask >> i & 1])
        less = _less(problem, covering, region) if unstated else ()
        found.append(
            Region(
                vars=region,
                covering=covering,
                less=less,
                days=_runs(days),
                low=low,
                high=high,
                reason=(REST if less else PLACED) if unstated else UNDATED,
            )
        )
    return found


def _innermost(problem: Problem, covering: list[int]) -> tuple[int, ...]:
    """The covering rows that hold no other covering row: a running total over an aggregate
    over a region is the aggregate's rest, not the running total's."""
    rows = problem.row_vars
    return tuple(
        i
        for i in covering
        if not any(rows[j] != rows[i] and rows[j] & ~rows[i] == 0 for j in covering)
    )


def _less(problem: Problem, covering: tuple[int, ...], region: int) -> tuple[int, ...]:
    """Rows inside a covering row that leave the region out: the finer counts it is the rest
    of."""
    found = []
    for i, row_bits in enumerate(problem.row_vars):
        if i in covering or row_bits & region:
            continue
        if any(row_bits & ~problem.row_vars[c] == 0 for c in covering):
            found.append(i)
    return tuple(found)


def _runs(days: Sequence[Period]) -> tuple[Period, ...]:
    """Segments joined where one ends the day before the next begins."""
    found: list[Period] = []
    for p in days:
        if found and (p.start - found[-1].end).days == 1:
            found[-1] = Period(found[-1].start, p.end)
        else:
            found.append(p)
    return tuple(found)
