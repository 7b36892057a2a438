"""The general exact path: HiGHS, for components whose statements cross.

A component's rows are the constraints of an integer program over its variables (whole numbers,
0 or more). Each bound is solved as a linear program first; when the optimum HiGHS finds is
whole, it is the integer optimum too, and only otherwise is the same objective solved again as
a mixed-integer program. One solver object per component is reused for every objective, so
HiGHS starts each from the basis of the last.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from highspy import HighsModelStatus, HighsVarType, ObjSense, kHighsInf

# The public highspy.Highs enables callbacks in its constructor, which makes HiGHS print its
# banner on stdout before any option can be set; the CLI's output must stay the ledger's own.
from highspy._core import _Highs

from ledger.counting.model import Problem, bits
from ledger.scope import FULL, PARTIAL

INF = math.inf
WHOLE = 1e-6  # how far from a whole number a solution value may be and still be one


class Unsolved(Exception):
    """HiGHS stopped without an answer (it should not: the problems are small)."""


class Solver:
    """One component's rows as a HiGHS model; `use` puts some of them in force (a reading,
    or a trial of a deletion filter) by freeing the bounds of the rest, so one model and its
    warm start serve every set of rows."""

    def __init__(self, problem: Problem, rows: Iterable[int] | None = None) -> None:
        self.problem = problem
        self.width = len(problem.variables)
        self.highs = _Highs()
        self.highs.setOptionValue("output_flag", False)
        # Simplex proves an infeasible program with a ray (`culprits`); presolve would not.
        self.highs.setOptionValue("presolve", "off")
        self.columns = np.arange(self.width, dtype=np.int32)
        self.culprits: frozenset[int] | None = None  # of the last program found infeasible
        count = len(problem.rows)
        self.indexes = np.arange(count, dtype=np.int32)
        self.lows = np.array([float(r.low) for r in problem.rows])
        self.highs_of = np.array(
            [kHighsInf if r.high == INF else float(r.high) for r in problem.rows]
        )
        self.rows: list[int] | None = None
        self._span: tuple[np.ndarray, np.ndarray | None] | None = None
        self._asked = 0  # questions asked of the rows in force since they were put in force
        if self.width:
            self.highs.addVars(self.width, np.zeros(self.width), np.zeros(self.width))
            members = [bits(b) for b in problem.row_vars]
            starts = np.cumsum([0, *(len(m) for m in members[:-1])], dtype=np.int32)
            flat = np.array([v for m in members for v in m], dtype=np.int32)
            self.highs.addRows(
                count, self.lows, self.highs_of, len(flat), starts, flat, np.ones(len(flat))
            )
        self.use(range(count) if rows is None else rows)

    def use(self, rows: Iterable[int]) -> None:
        """Put only `rows` in force. A variable that no row in force covers holds nothing:
        the ledger counts only what reports state, and the reports of it are set aside."""
        chosen = sorted(set(rows))
        if chosen == self.rows:
            return
        self.rows = chosen
        self._span, self._asked, self.culprits = None, 0, None
        if not self.width:
            return
        kept = np.zeros(len(self.lows), dtype=bool)
        kept[chosen] = True
        self.highs.changeRowsBounds(
            len(self.indexes),
            self.indexes,
            np.where(kept, self.lows, -kHighsInf),
            np.where(kept, self.highs_of, kHighsInf),
        )
        covered = 0
        for i in chosen:
            covered |= self.problem.row_vars[i]
        upper = np.array([kHighsInf if covered >> v & 1 else 0.0 for v in range(self.width)])
        self.highs.changeColsBounds(self.width, self.columns, np.zeros(self.width), upper)

    def feasible(self) -> bool:
        """Whether some whole-number truth meets every row in force."""
        self.culprits = None
        if not self.width:
            return all(self.problem.rows[i].low <= 0 for i in self.rows)
        return self._run(np.zeros(self.width), ObjSense.kMinimize) is not None

    def _culprits(self) -> frozenset[int] | None:
        """After simplex found no solution at all, even in fractions: the rows in force that
        its proof (a Farkas ray) uses, which cannot hold together by themselves (freeing the
        bounds of other rows only leaves more variables at 0); None without a proof."""
        _, exists = self.highs.getDualRayExist()
        if not exists:
            return None
        _, _, ray = self.highs.getDualRay()
        kept = set(self.rows or ())
        return frozenset(i for i in np.flatnonzero(np.abs(ray) > WHOLE).tolist() if i in kept)

    def bounds(self, asked: Sequence[int]) -> tuple[float, float]:
        """The least and greatest sum of the asked variables (FULL counted whole, PARTIAL for
        the greatest only); INF when there is no greatest. The rows must be feasible."""
        if not self.width:
            return 0, 0
        self._asked += 1
        full = np.array([1.0 if a == FULL else 0.0 for a in asked])
        some = np.array([1.0 if a in (FULL, PARTIAL) else 0.0 for a in asked])
        low = self._optimum(full, ObjSense.kMinimize) if full.any() else 0
        high = self._optimum(some, ObjSense.kMaximize) if some.any() else 0
        return low, high

    def least(self, asked: Sequence[int]) -> float:
        """The least sum of the asked variables (FULL counted); the rows must be feasible."""
        self._asked += 1
        full = np.array([1.0 if a == FULL else 0.0 for a in asked])
        if not self.width or not full.any():
            return 0
        return self._optimum(full, ObjSense.kMinimize)

    def _optimum(self, costs: np.ndarray, sense: ObjSense) -> float:
        """The optimum of one objective; without a program when the exact rows in force fix
        the sum."""
        found = self._fixed(costs)
        if found is not None:
            return found
        found = self._run(costs, sense)
        if found is None:
            raise Unsolved("the rows were feasible, yet HiGHS found no solution")
        return found

    def _fixed(self, costs: np.ndarray) -> float | None:
        """The sum when every solution gives the same: when the costs are a combination of
        the exact rows in force (low = high) and of the variables no row in force covers
        (held at 0), the sum is the same on every solution, so one solution gives it. Most
        sums a ledger asks for are of this kind (a day's count told exactly, a running total
        that its daily counts add up to)."""
        if self._span is None:
            if self._asked < 3:
                return None  # rows in force asked of once or twice: programs cost less
            self._span = self._exact_span()
        basis, point = self._span
        if point is None:
            return None
        rest = costs - (costs @ basis.T) @ basis
        if np.max(np.abs(rest)) > WHOLE:
            return None
        value = float(costs @ point)
        return round(value) if abs(value - round(value)) <= WHOLE else None

    def _exact_span(self) -> tuple[np.ndarray, np.ndarray | None]:
        """An orthonormal basis of the sums the exact rows in force fix (with the variables
        that hold 0 on every solution), and one solution."""
        empty = np.zeros((0, self.width))
        self.highs.changeObjectiveSense(ObjSense.kMaximize)
        self.highs.changeColsCost(self.width, self.columns, np.zeros(self.width))
        if self._solve() != HighsModelStatus.kOptimal:
            return empty, None
        point = np.asarray(self.highs.getSolution().col_value)
        rows: list[np.ndarray] = []
        for i in self.rows or ():
            if self.lows[i] == self.highs_of[i]:
                row = np.zeros(self.width)
                row[bits(self.problem.row_vars[i])] = 1.0
                rows.append(row)
        rows += list(np.eye(self.width)[self._zeros(point)])
        if not rows:
            return empty, point
        _, values, vectors = np.linalg.svd(np.array(rows), full_matrices=False)
        return vectors[: int(np.sum(values > WHOLE * values[0]))], point

    def _zeros(self, point: np.ndarray) -> np.ndarray:
        """The variables that hold 0 on every solution (a running total that its daily counts
        add up to leaves nobody undated): those at 0 in `point` that a program maximising
        their sum cannot raise, a few rounds at most, each dropping those it raised."""
        maybe = point <= WHOLE
        for _ in range(3):
            if not maybe.any():
                break
            self.highs.changeColsCost(self.width, self.columns, maybe.astype(float))
            if self._solve() != HighsModelStatus.kOptimal:
                break  # unbounded: some of them can grow, which is not worth finding
            found = np.asarray(self.highs.getSolution().col_value)
            raised = maybe & (found > WHOLE)
            if not raised.any():
                return maybe
            maybe &= ~raised
        return np.zeros(self.width, dtype=bool)

    def _run(self, costs: np.ndarray, sense: ObjSense) -> float | None:
        """The optimum of one objective over whole numbers; INF when unbounded, None when
        infeasible."""
        highs = self.highs
        highs.changeColsCost(self.width, self.columns, costs)
        highs.changeObjectiveSense(sense)
        status = self._solve()
        if status in UNBOUNDED:
            # A verdict that ends a count's upper bound is taken from a solve from scratch,
            # never from a warm start alone.
            highs.clearSolver()
            status = self._solve()
        if status == HighsModelStatus.kUnboundedOrInfeasible and not costs.any():
            return None  # the zero objective is never unbounded
        if status in (HighsModelStatus.kUnbounded, HighsModelStatus.kUnboundedOrInfeasible):
            # Bounds are only asked of rows known to be feasible: unbounded it is.
            return INF if sense == ObjSense.kMaximize else -INF
        if status == HighsModelStatus.kInfeasible:
            self.culprits = self._culprits()
            return None
        values = np.asarray(highs.getSolution().col_value)
        if np.all(np.abs(values - np.round(values)) <= WHOLE):
            return round(float(costs @ np.round(values)))
        # A fractional vertex: the integer optimum may differ, so solve for it.
        integral = np.full(self.width, HighsVarType.kInteger)
        highs.changeColsIntegrality(self.width, self.columns, integral)
        try:
            status = self._solve()
            if status == HighsModelStatus.kInfeasible or (
                status == HighsModelStatus.kUnboundedOrInfeasible and not costs.any()
            ):
                return None
            if status in (HighsModelStatus.kUnbounded, HighsModelStatus.kUnboundedOrInfeasible):
                return INF if sense == ObjSense.kMaximize else -INF
            values = np.round(np.asarray(highs.getSolution().col_value))
            return round(float(costs @ values))
        finally:
            continuous = np.full(self.width, HighsVarType.kContinuous)
            highs.changeColsIntegrality(self.width, self.columns, continuous)

    def _solve(self) -> HighsModelStatus:
        status = _solved(self.highs)
        if status not in ANSWERED:
            # A warm start can leave simplex without a verdict (seen on unbounded objectives
            # after a change of costs): solve again from scratch.
            self.highs.clearSolver()
            status = _solved(self.highs)
        if status not in ANSWERED:
            raise Unsolved(f"HiGHS stopped: {self.highs.modelStatusToString(status)}")
        return status


UNBOUNDED = (HighsModelStatus.kUnbounded, HighsModelStatus.kUnboundedOrInfeasible)
ANSWERED = (
    HighsModelStatus.kOptimal,
    HighsModelStatus.kInfeasible,
    HighsModelStatus.kUnbounded,
    HighsModelStatus.kUnboundedOrInfeasible,
    HighsModelStatus.kModelEmpty,
)


def _solved(highs: _Highs) -> HighsModelStatus:
    highs.run()
    return highs.getModelStatus()


def bounds_setting_aside(
    problem: Problem, asked: Sequence[int], suspects: Iterable[int], aside: int
) -> tuple[float, float]:
    """The least and greatest sum of the asked variables over every reading that sets aside
    exactly `aside` of the suspect rows: one mixed-integer program per bound, choosing the
    rows to set aside along with the counts, for components with too many readings to list.

    Counts are capped above every figure the rows give: a truth that meets the rows in force
    never needs more (lower any count that no row needs at its least), and a greatest sum
    beyond the sum of every finite high can only be unbounded.
    """
    width = len(problem.variables)
    if not width:
        return 0, 0
    rows = problem.rows
    finite = sum(r.high for r in rows if r.high != INF)
    cap = max(max(r.low for r in rows), finite) + 1
    suspects = sorted(set(suspects))
    highs = _Highs()
    highs.setOptionValue("output_flag", False)
    total = width + len(suspects)
    highs.addVars(total, np.zeros(total), np.array([cap] * width + [1] * len(suspects), float))
    highs.changeColsIntegrality(
        total, np.arange(total, dtype=np.int32), np.full(total, HighsVarType.kInteger)
    )
    switch = {row: width + n for n, row in enumerate(suspects)}
    for i, row in enumerate(rows):
        index = bits(problem.row_vars[i])
        ones = np.ones(len(index))
        high = kHighsInf if row.high == INF else float(row.high)
        if i not in switch:
            highs.addRow(float(row.low), high, len(index), np.array(index, np.int32), ones)
            continue
        z = switch[i]
        with_z = np.array([*index, z], np.int32)
        # Set aside (z = 1), the row's low and high no longer bind.
        highs.addRow(float(row.low), kHighsInf, len(with_z), with_z, np.append(ones, row.low))
        if row.high != INF:
            slack = -float(cap * len(index))
            highs.addRow(-kHighsInf, high, len(with_z), with_z, np.append(ones, slack))
    for v in range(width):
        # A variable only set-aside rows cover holds nothing: x <= cap * (rows kept over it).
        over = [i for i in range(len(rows)) if problem.row_vars[i] >> v & 1]
        if over and all(i in switch for i in over):
            index = np.array([v, *(switch[i] for i in over)], np.int32)
            values = np.array([1.0] + [float(cap)] * len(over))
            highs.addRow(-kHighsInf, float(cap * len(over)), len(index), index, values)
    zs = np.array(list(switch.values()), np.int32)
    highs.addRow(float(aside), float(aside), len(zs), zs, np.ones(len(zs)))
    columns = np.arange(total, dtype=np.int32)
    found = []
    for sense, counted in ((ObjSense.kMinimize, (FULL,)), (ObjSense.kMaximize, (FULL, PARTIAL))):
        costs = np.array([1.0 if a in counted else 0.0 for a in asked] + [0.0] * len(suspects))
        highs.changeColsCost(total, columns, costs)
        highs.changeObjectiveSense(sense)
        highs.run()
        if highs.getModelStatus() != HighsModelStatus.kOptimal:
            raise Unsolved(f"HiGHS: {highs.modelStatusToString(highs.getModelStatus())}")
        found.append(round(highs.getInfo().objective_function_value))
    low, high = found
    return low, (INF if high > finite else high)
