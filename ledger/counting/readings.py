"""Conflicts and readings (DESIGN.md, rule 4).

Reports that cannot all be true are a conflict. The totals then span every *reading*: a choice
of as few reports as possible to set aside so that the rest can all be true. No report wins for
being finer, newer or more precisely worded; each reading gives exact bounds, and the totals
take the least low and the greatest high of them.

The readings are the minimum hitting sets of the component's *cores*: the sets of rows that
cannot hold together but hold once any one of them is set aside. Cores are found as they are
needed (each a deletion filter over rows that cannot hold), until every minimum hitting set of
those found can hold. Reports that say the same thing (twins) are searched as one row that
weighs as many reports as it stands for.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.counting import nested
from ledger.counting.model import Problem
from ledger.counting.solver import Solver
from ledger.scope import FULL, NONE

Rows = frozenset[int]
INF = math.inf
# Beyond this many readings of a component, their product is not listed (each conflict still
# lists its own) and the bounds come from one program over all of them at once.
MAX_READINGS = 64


class Oracle:
    """A component's feasibility and bounds with some of its rows set aside: by the nested
    path where the rows nest, else by HiGHS (one model, whichever rows are in force)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.every: Rows = frozenset(range(len(problem.rows)))
        # Reports of one event (the same groups and days) are the commonest component, and
        # the simplest: one range, the meet of theirs.
        self.one_event = len(set(problem.row_vars)) == 1
        self.nested = self.one_event or nested.tree(problem) is not None
        self._trees: dict[Rows, nested.Tree] = {}
        self._model: Solver | None = None  # one HiGHS model, its rows in force set per call

    def feasible(self, rows: Rows) -> bool:
        if self.one_event:
            low, high = self._meet(rows)
            return low <= high and (low <= 0 or self.problem.row_vars[0] != 0)
        if self.nested:
            return nested.feasible(self._tree(rows))
        return self._solver(rows).feasible()

    def bounds(self, rows: Rows, asked: Sequence[int]) -> tuple[float, float]:
        """The least and greatest sum of the asked variables with only `rows` in force."""
        if self.one_event:
            if not rows or not self.problem.row_vars[0]:
                return 0, 0
            free = nested.free(self.problem.row_vars[0], asked)
            region = nested.within(free, *self._meet(rows))
            return region[0], region[1]
        if self.nested:
            return nested.bounds(self._tree(rows), asked)
        return self._solver(rows).bounds(asked)

    def culprits(self, rows: Rows) -> Rows | None:
        """Rows among `rows` (which cannot hold) that cannot hold by themselves, when HiGHS
        proved it; None otherwise."""
        if self.one_event or self.nested:
            return None
        model = self._model
        if model is None or model.rows != sorted(rows) or model.culprits is None:
            if self.feasible(rows):
                return None
            model = self._model
        assert model is not None
        return model.culprits

    def least(self, rows: Rows, asked: Sequence[int]) -> float:
        """The least sum of the asked variables with only `rows` in force."""
        if self.one_event or self.nested:
            return self.bounds(rows, asked)[0]
        return self._solver(rows).least(asked)

    def _meet(self, rows: Rows) -> tuple[float, float]:
        found = [self.problem.rows[i] for i in rows]
        return max((r.low for r in found), default=0), min((r.high for r in found), default=INF)

    def _tree(self, rows: Rows) -> nested.Tree:
        found = self._trees.get(rows)
        if found is None:
            found = nested.tree(self.problem, sorted(rows))
            assert found is not None  # rows of a nested component nest
            if len(self._trees) < MAX_READINGS * 2:
                self._trees[rows] = found
        return found

    def _solver(self, rows: Rows) -> Solver:
        if self._model is None:
            self._model = Solver(self.problem)
        self._model.use(rows)
        return self._model


@dataclass(frozen=True)
class Clash:
    """Rows that cannot all be true: the cores among them, the fewest of them to set aside
    (each way of doing so), and per row the range the others of its core imply."""

    rows: Rows
    cores: tuple[Rows, ...]
    readings: tuple[Rows, ...]
    implied: dict[int, tuple[float, float]]


@dataclass(frozen=True)
class Readings:
    """Every reading of a component (rows set aside in each; one empty reading when all can
    hold), or None when there are more than MAX_READINGS; and its clashes."""

    readings: tuple[Rows, ...] | None
    clashes: tuple[Clash, ...]
    set_aside: int  # how many rows each reading sets aside


def readings(oracle: Oracle) -> Readings:
    """The readings of a component and the clashes behind them.

    Reports that say the same thing (the same groups and days, the same range: several
    sources giving one figure) are twins: one of them in force binds as much as all of them,
    so a reading sets all of them aside or none. The search runs on one report per set of
    twins, each weighing as many reports as it stands for, and a conflict lists every twin
    of a report that clashes, whichever the search met first.
    """
    every = oracle.every
    if oracle.feasible(every):
        return Readings((frozenset(),), (), 0)
    problem = oracle.problem
    if len(set(problem.row_vars)) == 1:
        return _one_event(problem)
    twins = _twins(problem)
    ones = frozenset(twins)
    weight = {row: len(found) for row, found in twins.items()}
    # Cores anyone can see: reports of one event whose ranges do not meet, and reports of
    # groups and days that cannot have held anyone (outside their exchange's days).
    cores: list[Rows] = [c for c in _evident_cores(problem) if c <= ones]
    while True:
        for chosen in _products(cores, MAX_READINGS + 1, weight):
            if not oracle.feasible(ones - chosen):
                cores += [c for c in found_cores(oracle, ones - chosen) if c not in cores]
                break
        else:
            break

    def with_twins(rows: Rows) -> Rows:
        return frozenset(twin for row in rows for twin in twins[row])

    set_aside = 0
    clashes = []
    for cluster in _clusters(cores):
        hitting = tuple(hitting_sets(cluster, weight))
        set_aside += sum(weight[row] for row in hitting[0])
        implied = _implied(oracle, ones, cluster, cores)
        clashes.append(
            Clash(
                with_twins(frozenset().union(*cluster)),
                tuple(cluster),
                tuple(sorted(map(with_twins, hitting), key=sorted)),
                {twin: implied[row] for row in implied for twin in twins[row]},
            )
        )
    products = list(itertools.islice(_products(cores, MAX_READINGS + 1, weight), MAX_READINGS + 1))
    listed = tuple(map(with_twins, products)) if len(products) <= MAX_READINGS else None
    return Readings(listed, tuple(clashes), set_aside)


def _twins(problem: Problem) -> dict[int, tuple[int, ...]]:
    """Per set of rows that say the same thing, its first row and the whole set."""
    found: dict[tuple[int, float, float], list[int]] = {}
    for i, row in enumerate(problem.rows):
        found.setdefault((problem.row_vars[i], row.low, row.high), []).append(i)
    return {rows[0]: tuple(rows) for rows in found.values()}


def found_cores(oracle: Oracle, rows: Rows) -> list[Rows]:
    """Cores within rows that cannot hold, found by deletion filters that give up the coarse
    reports first, the fine ones first, and neither: a conflict is shown by its smallest
    explanations, not only by the one the search happened to meet first."""
    problem = oracle.problem
    width = [bits.bit_count() for bits in problem.row_vars]
    orders: tuple[Callable[[int], Any], ...] = (
        lambda i: _order(problem, i),
        lambda i: (-width[i], _order(problem, i)),
        lambda i: (width[i], _order(problem, i)),
    )
    found: list[Rows] = []
    for order in orders:
        made = core(oracle, rows, order)
        if made not in found:
            found.append(made)
    return sorted(found, key=lambda c: (len(c), sorted(_order(problem, i) for i in c)))


def core(oracle: Oracle, rows: Rows, order: Callable[[int], Any] | None = None) -> Rows:
    """A smallest-by-inclusion set of rows that cannot hold together, within rows that cannot,
    found by giving up rows in `order` while the rest still cannot hold.

    A row outside the culprits of the last trial that could not hold (rows that cannot hold
    by themselves, all still kept) is given up without a trial: the rest still holds them.
    That is the decision its trial would take, so the core is the same, with fewer trials."""
    kept = set(rows)
    culprits = oracle.culprits(rows)
    for row in sorted(rows, key=order or (lambda i: _order(oracle.problem, i))):
        if culprits is not None and row not in culprits:
            kept.discard(row)
            continue
        trial = frozenset(kept - {row})
        if not oracle.feasible(trial):
            kept.discard(row)
            culprits = oracle.culprits(trial)
    return frozenset(kept)


def _evident_cores(problem: Problem) -> list[Rows]:
    by_vars: dict[int, list[int]] = {}
    for i, bits in enumerate(problem.row_vars):
        by_vars.setdefault(bits, []).append(i)
    found = [frozenset([i]) for i in by_vars.get(0, []) if problem.rows[i].low > 0]
    for members in by_vars.values():
        for a, b in itertools.combinations(members, 2):
            if not _meets(problem.rows[a], problem.rows[b]):
                found.append(frozenset((a, b)))
    return found


def _one_event(problem: Problem) -> Readings:
    """Readings of a component whose reports are all of one event (the same groups and days):
    ranges of one count. The fewest set aside are the reports that miss a value the most of
    them allow, one reading per run of such values (ranges that meet pairwise meet)."""
    rows = problem.rows
    every = range(len(rows))
    if problem.row_vars[0] == 0:  # groups and days that cannot have held anyone
        aside = frozenset(i for i in every if rows[i].low > 0)
        clash = Clash(aside, (aside,), (aside,), {i: (0, 0) for i in aside})
        return Readings((aside,), (clash,), len(aside))
    runs = _best_runs(rows, every)
    found = sorted(
        {frozenset(i for i in every if not _holds(rows[i], run)) for run in runs}, key=sorted
    )
    involved = frozenset(i for i in every if any(not _meets(rows[i], rows[j]) for j in every))
    implied = {}
    for i in involved:
        others = _best_runs(rows, [j for j in every if j != i])
        implied[i] = (min(r[0] for r in others), max(r[1] for r in others))
    clash = Clash(involved, (involved,), tuple(found), implied)
    listed = tuple(found) if len(found) <= MAX_READINGS else None
    return Readings(listed, (clash,), len(found[0]))


def _best_runs(rows: Sequence[Any], members: Iterable[int]) -> list[tuple[float, float]]:
    """The runs of values (0 or more) that the most of these rows' ranges hold."""
    edges: list[tuple[float, int]] = []
    for i in members:
        edges += [(max(0, rows[i].low), 1), (rows[i].high + 1, -1)]
    edges.sort()
    best, runs, held = 0, [], 0
    for n, (value, step) in enumerate(edges):
        held += step
        following = edges[n + 1][0] if n + 1 < len(edges) else math.inf
        if following == value:
            continue
        if held > best:
            best, runs = held, [(value, following - 1)]
        elif held == best and held > 0:
            runs.append((value, following - 1))
    return runs


def _holds(row: Any, run: tuple[float, float]) -> bool:
    return row.low <= run[0] and run[1] <= row.high


def _meets(a: Any, b: Any) -> bool:
    return not (a.high < b.low or b.high < a.low)


def hitting_sets(cores: Sequence[Rows], weight: dict[int, int]) -> Iterator[Rows]:
    """Every lightest set of rows meeting each core (one empty set when there are none); a
    row weighs `weight[row]` reports."""
    if not cores:
        yield frozenset()
        return
    for budget in itertools.count(1):
        found = sorted(_hitting(list(cores), budget, frozenset(), weight), key=sorted)
        if found:
            yield from found
            return


def _hitting(cores: list[Rows], budget: int, chosen: Rows, weight: dict[int, int]) -> set[Rows]:
    """Hitting sets that add rows weighing exactly `budget` to `chosen` (branching on a
    missed core). At the least budget that has any, none holds a row it could do without."""
    missed = [c for c in cores if not c & chosen]
    if not missed:
        return {chosen} if budget == 0 else set()
    found: set[Rows] = set()
    for row in sorted(min(missed, key=len)):
        cost = weight[row]
        if cost <= budget:
            found |= _hitting(cores, budget - cost, chosen | {row}, weight)
    return found


def _products(cores: list[Rows], limit: int, weight: dict[int, int]) -> Iterator[Rows]:
    """The readings the cores found so far allow: per cluster of cores sharing rows, each
    lightest hitting set, in every combination (at most `limit` of them)."""
    per_cluster = [list(hitting_sets(c, weight)) for c in _clusters(cores)]
    for n, combination in enumerate(itertools.product(*per_cluster)):
        if n >= limit:
            return
        yield frozenset().union(*combination)


def _clusters(cores: Iterable[Rows]) -> list[list[Rows]]:
    """Cores joined where they share a row."""
    clusters: list[list[Rows]] = []
    for found in cores:
        joined = [c for c in clusters if any(found & other for other in c)]
        merged = [found, *(o for c in joined for o in c)]
        clusters = [c for c in clusters if c not in joined] + [merged]
    return [sorted(c, key=sorted) for c in sorted(clusters, key=lambda c: min(min(x) for x in c))]


def _implied(
    oracle: Oracle, every: Rows, cluster: list[Rows], cores: list[Rows]
) -> dict[int, tuple[float, float]]:
    """Per row of a cluster, the figure the others imply: the range of its sum that every
    other row allows, where they can all hold together; else what the other rows of its
    smallest core and every row in no core allow (cores taken smallest first, then by what
    their rows say, so the figure does not depend on the entries' ids). `every` holds one
    row of each set of twins: a row's twins say what it says, so they imply nothing."""
    problem = oracle.problem
    clear = every - frozenset().union(*cores)
    found: dict[int, tuple[float, float]] = {}
    by_size = sorted(cluster, key=lambda c: (len(c), sorted(_order(problem, i) for i in c)))
    for rows in by_size:
        for row in sorted(rows):
            if row in found:
                continue
            asked = _asked(problem, row)
            others = rows - {row}
            for context in (every - {row}, others | clear, others):
                if oracle.feasible(context):
                    found[row] = oracle.bounds(context, asked)
                    break
    return found


def _asked(problem: Problem, row: int) -> list[int]:
    bits = problem.row_vars[row]
    return [FULL if bits >> v & 1 else NONE for v in range(len(problem.variables))]


def _order(problem: Problem, row: int) -> tuple[object, ...]:
    # Independent of the order entries arrive in: by what each says, then its id.
    r = problem.rows[row]
    return (r.period, r.low, r.high, repr(r.scope), r.id)
