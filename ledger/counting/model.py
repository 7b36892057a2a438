"""The counting model of DESIGN.md ("What the totals mean") as a linear system.

Each statement says that the sum of the unknown daily counts of the groups in its scope over
the days of its period lies in [low, high]. Statements whose groups and days never meet are
independent: they fall into different *components*, each solved on its own.

Within a component, groups and days that every statement treats alike are merged into one
*variable*: the cells (a group of atoms, a day) covered by the same statements on the same run
of days (a *segment*, cut wherever a period or a batch's days begin or end). A variable is
a whole number of people, 0 or more; a group and day that no statement covers is not a
variable at all, since the ledger counts only what reports state.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ledger.counting.context import ONE_DAY, Context
from ledger.records import Period, Statement
from ledger.scope import (
    FULL,
    NONE,
    NOT_NAMED,
    OTHER,
    Question,
    Scope,
    asks_framework,
    asks_handover,
    asks_kind,
    asks_nationality,
    asks_party,
    combine,
    covers_framework,
    covers_handover,
    covers_kind,
    covers_nationality,
    covers_party,
    framework_atoms,
    handover_atoms,
    kind_atoms,
    meet,
    nationality_atoms,
    party_atoms,
)

INF = math.inf


class Dimension(NamedTuple):
    """One part of a scope: how its atoms are found, covered and asked for."""

    name: str
    atoms: Callable[[list[Scope], Context], list[object]]
    covers: Callable[[Scope, object], bool]
    asks: Callable[[Question, object, list[object], Iterable[frozenset[str]]], int]


DIMENSIONS = (
    Dimension("kind", lambda scopes, _: list(kind_atoms(scopes)), covers_kind, asks_kind),
    Dimension("party", lambda scopes, _: party_atoms(scopes), covers_party, asks_party),
    Dimension(
        "nationality",
        lambda scopes, c: nationality_atoms(scopes, c.nationalities),
        covers_nationality,
        asks_nationality,
    ),
    Dimension(
        "framework",
        lambda scopes, c: framework_atoms(scopes, c.frameworks),
        covers_framework,
        asks_framework,
    ),
    Dimension(
        "handover",
        lambda scopes, c: handover_atoms(scopes, c.batches, c.exchanges),
        covers_handover,
        asks_handover,
    ),
)
HANDOVER = len(DIMENSIONS) - 1


class Group(NamedTuple):
    """Atoms of one dimension that every statement of the component covers alike."""

    mask: int  # the statements covering them
    atoms: tuple[object, ...]
    days: tuple[Period, ...] | None  # when they can move (None: any day)


class Variable(NamedTuple):
    """Cells covered by the same statements, on one segment: one unknown count."""

    mask: int  # the rows (statements) covering it
    segment: int
    cells: tuple[tuple[int, ...], ...]  # per cell, its group in each dimension


@dataclass
class Problem:
    """One component: its rows (statements), segments and variables."""

    rows: tuple[Statement, ...]
    segments: tuple[Period, ...]
    groups: tuple[tuple[Group, ...], ...]  # per dimension
    atoms: tuple[list[object], ...]  # per dimension, every atom of the component
    variables: tuple[Variable, ...]
    row_vars: tuple[int, ...]  # per row, the bitmask of its variables
    nationalities: frozenset[frozenset[str]] = frozenset()  # every group named anywhere

    @property
    def span(self) -> Period:
        return Period(self.segments[0].start, self.segments[-1].end)

    def asked(self, question: Question) -> list[int]:
        """How much of each variable the question asks for (NONE, PARTIAL or FULL)."""
        groups = self.nationalities
        per_group = [
            [
                combine(dim.asks(question, atom, self.atoms[d], groups) for atom in group.atoms)
                for group in self.groups[d]
            ]
            for d, dim in enumerate(DIMENSIONS)
        ]
        found = [
            combine(meet(per_group[d][g] for d, g in enumerate(cell)) for cell in v.cells)
            for v in self.variables
        ]
        if question.nationality == NOT_NAMED:
            # The people no report stating a nationality covers: a variable's rows tell.
            stating = sum(
                1 << i for i, r in enumerate(self.rows) if r.scope.nationality is not None
            )
            found = [
                NONE if v.mask & stating else a for v, a in zip(self.variables, found, strict=True)
            ]
        return found


def problem(rows: Sequence[Statement], context: Context) -> Problem:
    """The variables of one component's statements."""
    scopes = tuple(r.scope for r in rows)
    found = context.shapes.get(scopes)
    if found is None:  # components of the same scopes share their shape
        found = context.shapes[scopes] = shape(scopes, context)
    groups, atoms_of, cells = found
    segments = _segments(rows, [g.days for g in groups[HANDOVER]])
    starts = [s.start for s in segments]
    seg_masks = [0] * len(segments)
    for i, r in enumerate(rows):
        # Segments are cut at every row's first day and the day after its last.
        first = bisect.bisect_left(starts, r.period.start)
        last = bisect.bisect_right(starts, r.period.end)
        for s in range(first, last):
            seg_masks[s] |= 1 << i
    found: dict[tuple[int, int], list[tuple[int, ...]]] = defaultdict(list)
    for mask, cell in cells:
        days = groups[HANDOVER][cell[HANDOVER]].days
        for s, segment in enumerate(segments):
            covering = mask & seg_masks[s]
            if covering and (days is None or any(p.contains(segment) for p in days)):
                found[(covering, s)].append(cell)
    variables = tuple(
        Variable(mask, s, tuple(found[(mask, s)])) for mask, s in sorted(found, key=lambda k: k[1])
    )
    row_vars = [0] * len(rows)
    for v, variable in enumerate(variables):
        mask, i = variable.mask, 0
        while mask:
            if mask & 1:
                row_vars[i] |= 1 << v
            mask >>= 1
            i += 1
    return Problem(
        rows=tuple(rows),
        segments=tuple(segments),
        groups=tuple(groups),
        atoms=tuple(atoms_of),
        variables=variables,
        row_vars=tuple(row_vars),
        nationalities=context.nationalities,
    )


Shape = tuple[
    tuple[tuple[Group, ...], ...],
    tuple[list[object], ...],
    list[tuple[int, tuple[int, ...]]],
]


def shape(scopes: tuple[Scope, ...], context: Context) -> Shape:
    """What the scopes alone decide, whatever their days: per dimension the atoms and the
    groups of atoms the scopes cover alike, and the cells (a group in each dimension) that
    some scope covers, with the scopes covering each."""
    groups = []
    atoms_of = []
    for d, dim in enumerate(DIMENSIONS):
        atoms = dim.atoms(list(scopes), context)
        atoms_of.append(atoms)
        by_profile: dict[tuple[int, tuple[Period, ...] | None], list[object]] = defaultdict(list)
        for atom in atoms:
            mask = 0
            for i, scope in enumerate(scopes):
                if dim.covers(scope, atom):
                    mask |= 1 << i
            if mask:
                days = context.days.get(atom) if d == HANDOVER else None
                by_profile[(mask, days)].append(atom)
        groups.append(
            tuple(Group(mask, tuple(found), days) for (mask, days), found in by_profile.items())
        )
    every = (1 << len(scopes)) - 1
    cells: list[tuple[int, tuple[int, ...]]] = [(every, ())]
    for dim_groups in groups:
        cells = [
            (mask & g.mask, (*cell, i))
            for mask, cell in cells
            for i, g in enumerate(dim_groups)
            if mask & g.mask
        ]
    return tuple(groups), tuple(atoms_of), cells


def _segments(rows: Sequence[Statement], days: Iterable[tuple[Period, ...] | None]) -> list[Period]:
    """The runs of days from the component's first to its last on which nothing begins or
    ends: within one, days are interchangeable."""
    first = min(r.period.start for r in rows)
    last = max(r.period.end for r in rows)
    cuts = {first, last + ONE_DAY}
    for r in rows:
        cuts |= {r.period.start, r.period.end + ONE_DAY}
    for periods in days:
        for p in periods or ():
            cuts |= {p.start, p.end + ONE_DAY}
    ordered = sorted(c for c in cuts if first <= c <= last + ONE_DAY)
    return [Period(a, b - ONE_DAY) for a, b in itertools.pairwise(ordered)]


def bits(mask: int) -> list[int]:
    """The indexes of the set bits of `mask`, lowest first: the variables of a row."""
    found, i = [], 0
    while mask:
        if mask & 1:
            found.append(i)
        mask >>= 1
        i += 1
    return found


def status_of_rows(problem: Problem, asked: list[int]) -> list[int]:
    """How much of each row's groups the question asks for."""
    found = []
    for row in problem.row_vars:
        statuses = [asked[v] for v in bits(row)]
        found.append(combine(statuses) if statuses else NONE)
    return found


def asks_anything(asked: list[int]) -> bool:
    return any(a != NONE for a in asked)


__all__ = [
    "FULL",
    "NONE",
    "OTHER",
    "Context",
    "Problem",
    "Statement",
    "Variable",
    "bits",
    "problem",
]
