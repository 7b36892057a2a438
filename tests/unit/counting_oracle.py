"""An independent oracle for the counting model: the rules of DESIGN.md written out as a plain
integer program over explicit cells (one per group and day), solved by HiGHS as a MIP every
time. It shares nothing with ledger.counting but the Statement and Question records: no
merging of cells, no components, no nested path, no readings search.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from highspy import HighsModelStatus, HighsVarType, ObjSense, kHighsInf
from highspy._core import _Highs

from ledger.counting.model import Statement
from ledger.records import Period
from ledger.scope import NOT_NAMED, Question

INF = math.inf
KINDS = ("released", "remains_returned")
PARTIES = ("P", "R", "S")  # R and S are never named by a report: parties none states
NATIONALITIES = (frozenset("A"), frozenset("B"), frozenset("AB"), frozenset("C"))
FRAMEWORKS = ("truce_deal", "parallel_deal", "other")
HANDOVERS = (("E", "b1"), ("E", "b2"), ("E", None), (None, None))
EXCHANGE_DAYS = Period(dt.date(2024, 1, 2), dt.date(2024, 1, 6))
FIRST = dt.date(2024, 1, 1)
DAYS = 6


@dataclass(frozen=True)
class Cell:
    kind: str
    party: str
    nationality: frozenset[str]
    framework: str
    handover: tuple[str | None, str | None]
    day: dt.date


def universe(statements: Sequence[Statement]) -> list[Cell]:
    """Every cell that can hold someone: covered by a statement, of a group that exists
    (a dual nationality only where named), on a day its batch and exchange allow."""
    named = {frozenset(s.scope.nationality) for s in statements if s.scope.nationality}
    groups = [n for n in NATIONALITIES if len(n) == 1 or n in named]
    batch_days: dict[tuple[str, str], list[Period]] = {}
    for s in statements:
        for label in s.scope.batch or ():
            batch_days.setdefault((s.scope.exchange, label), []).append(s.period)
    cells = []
    for kind, party, nat, framework, handover, n in itertools.product(
        KINDS, PARTIES, groups, FRAMEWORKS, HANDOVERS, range(DAYS)
    ):
        day = FIRST + dt.timedelta(days=n)
        exchange, label = handover
        if exchange is not None and not EXCHANGE_DAYS.start <= day <= EXCHANGE_DAYS.end:
            continue
        if label is not None and not any(
            p.start <= day <= p.end for p in batch_days.get((exchange, label), [])
        ):
            continue
        cell = Cell(kind, party, nat, framework, handover, day)
        if any(covers(s, cell) for s in statements):
            cells.append(cell)
    return cells


def covers(s: Statement, cell: Cell) -> bool:
    scope = s.scope
    return (
        s.period.start <= cell.day <= s.period.end
        and cell.kind in scope.kind
        and (scope.party is None or scope.party == cell.party)
        and (scope.nationality is None or cell.nationality >= frozenset(scope.nationality))
        and (scope.framework is None or scope.framework == cell.framework)
        and _covers_handover(scope.exchange, scope.batch, cell.handover)
    )


def _covers_handover(
    exchange: str | None, batch: tuple[str, ...] | None, handover: tuple[str | None, str | None]
) -> bool:
    if exchange is not None and handover[0] != exchange:
        return False
    return batch is None or (handover[1] is not None and handover[1] in batch)


def asked(question: Question, cell: Cell, statements: Sequence[Statement]) -> bool:
    if question.kind is not None and cell.kind not in question.kind:
        return False
    if question.party is not None and cell.party != question.party:
        return False
    if question.nationality == NOT_NAMED:
        # Covered by no statement that states a nationality.
        if any(s.scope.nationality is not None and covers(s, cell) for s in statements):
            return False
    elif question.nationality is not None and question.nationality not in cell.nationality:
        return False
    if question.framework is not None and cell.framework != question.framework:
        return False
    if question.exchange is not None and cell.handover[0] != question.exchange:
        return False
    return question.batch is None or cell.handover[1] == question.batch


class Oracle:
    """Feasibility and exact bounds over the explicit cells, every reading considered."""

    def __init__(self, statements: Sequence[Statement]) -> None:
        self.statements = list(statements)
        self.cells = universe(self.statements)
        self.readings = self._readings()

    def feasible(self, kept: Sequence[int]) -> bool:
        return self._solve(kept, None, ObjSense.kMinimize) is not None

    def bounds(self, wanted: Sequence[bool]) -> tuple[float, float]:
        """The least and greatest sum of the wanted cells over every reading."""
        low, high = INF, -INF
        for kept in self.readings:
            lo = self._solve(kept, wanted, ObjSense.kMinimize)
            hi = self._solve(kept, wanted, ObjSense.kMaximize)
            assert lo is not None and hi is not None
            low, high = min(low, lo), max(high, hi)
        return low, high

    def _readings(self) -> list[list[int]]:
        every = range(len(self.statements))
        for size in range(len(self.statements) + 1):
            found = [
                [i for i in every if i not in aside]
                for aside in itertools.combinations(every, size)
                if self.feasible([i for i in every if i not in aside])
            ]
            if found:
                return found
        raise AssertionError("setting every statement aside must be feasible")

    def _solve(
        self, kept: Sequence[int], wanted: Sequence[bool] | None, sense: ObjSense
    ) -> float | None:
        width = len(self.cells)
        rows = [self.statements[i] for i in kept]
        if not width:
            return 0 if all(r.low <= 0 for r in rows) else None
        highs = _Highs()
        highs.setOptionValue("output_flag", False)
        # A cell no statement in force covers holds nothing.
        upper = [kHighsInf if any(covers(r, c) for r in rows) else 0.0 for c in self.cells]
        highs.addVars(width, np.zeros(width), np.array(upper))
        columns = np.arange(width, dtype=np.int32)
        highs.changeColsIntegrality(width, columns, np.full(width, HighsVarType.kInteger))
        for row in rows:
            index = [c for c, cell in enumerate(self.cells) if covers(row, cell)]
            high = kHighsInf if row.high == INF else float(row.high)
            highs.addRow(
                float(row.low), high, len(index), np.array(index, np.int32), np.ones(len(index))
            )
        costs = np.array([1.0 if w else 0.0 for w in wanted] if wanted else [0.0] * width)
        highs.changeColsCost(width, columns, costs)
        highs.changeObjectiveSense(sense)
        highs.run()
        status = highs.getModelStatus()
        if status == HighsModelStatus.kInfeasible:
            return None
        if status in (HighsModelStatus.kUnbounded, HighsModelStatus.kUnboundedOrInfeasible):
            if not costs.any():
                return None
            return INF
        assert status == HighsModelStatus.kOptimal, highs.modelStatusToString(status)
        return round(highs.getInfo().objective_function_value)
