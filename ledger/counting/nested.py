"""The fast exact path: components whose statements nest.

When any two rows of a component cover either disjoint sets of variables or one inside the
other (a laminar family: daily counts inside a running total, a breakdown inside its
aggregate), the rows form a tree, and the exact range of any sum of variables follows from one
pass up the tree.

At each node, the people it covers split into those the question counts (q) and the rest (r).
The pairs (q, r) its subtree allows are the whole numbers of a region bounded by intervals on q,
on r and on q + r: such regions (two-dimensional g-polymatroids) stay of that form when the
children's regions are added and the node's own range is laid on q + r, and every point of
them with whole-number bounds is reached by whole numbers. So the bounds at the root are the
exact minimum and maximum of the question's sum over every truth the statements allow.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.counting.model import Problem
from ledger.scope import FULL, NONE, PARTIAL

INF = math.inf

# (q_low, q_high, r_low, r_high, s_low, s_high), with s = q + r; highs may be INF.
Region = tuple[float, float, float, float, float, float]
ZERO: Region = (0, 0, 0, 0, 0, 0)


class Infeasible(Exception):
    """The rows cannot all hold: a node's range misses what its subtree allows."""


@dataclass
class Node:
    """Rows covering the same variables: one range, the meet of theirs."""

    vars: int
    rows: list[int]
    low: float
    high: float
    children: list[Node]
    free: int = 0  # variables in no child


@dataclass
class Tree:
    """The rows of a laminar component (or of part of its rows) as a forest."""

    roots: list[Node]
    order: list[Node]  # children before parents


def tree(problem: Problem, rows: Iterable[int] | None = None) -> Tree | None:
    """The rows (all, or those given) as a forest of nested nodes; None when two rows cross."""
    chosen = range(len(problem.rows)) if rows is None else rows
    by_vars: dict[int, Node] = {}
    for i in chosen:
        bits = problem.row_vars[i]
        row = problem.rows[i]
        node = by_vars.get(bits)
        if node is None:
            by_vars[bits] = Node(bits, [i], row.low, row.high, [])
        else:
            node.rows.append(i)
            node.low, node.high = max(node.low, row.low), min(node.high, row.high)
    nodes = sorted(by_vars.values(), key=lambda n: -n.vars.bit_count())
    placed: list[Node] = []
    roots: list[Node] = []
    for node in nodes:
        parent = None
        for other in placed:  # larger first: the last one containing it is the smallest
            shared = other.vars & node.vars
            if not shared:
                continue
            if shared != node.vars:
                return None
            parent = other
        (parent.children if parent else roots).append(node)
        placed.append(node)
    for node in nodes:
        inside = 0
        for child in node.children:
            inside |= child.vars
        node.free = node.vars & ~inside
    return Tree(roots, list(reversed(nodes)))


def bounds(forest: Tree, asked: Sequence[int]) -> tuple[float, float]:
    """The least and greatest sum of the asked variables (FULL counted whole, PARTIAL counted
    for the greatest only) over every truth the forest allows; Infeasible if none."""
    regions: dict[int, Region] = {}
    for node in forest.order:
        region = free(node.free, asked)
        for child in node.children:
            region = _add(region, regions.pop(id(child)))
        regions[id(node)] = within(region, node.low, node.high)
    total = ZERO
    for root in forest.roots:
        total = _add(total, regions[id(root)])
    return total[0], total[1]


def feasible(forest: Tree) -> bool:
    """Whether every node's range meets what its subtree allows."""
    try:
        bounds(forest, ())
    except Infeasible:
        return False
    return True


def free(bits: int, asked: Sequence[int]) -> Region:
    """Variables no child covers: each may hold any number, counted or not."""
    if not bits:
        return ZERO
    counted = rest = False
    v = 0
    while bits and not (counted and rest):
        if bits & 1:
            status = asked[v] if v < len(asked) else NONE
            counted = counted or status in (FULL, PARTIAL)
            rest = rest or status in (NONE, PARTIAL)
        bits >>= 1
        v += 1
    return (0, INF if counted else 0, 0, INF if rest else 0, 0, INF)


def _add(a: Region, b: Region) -> Region:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4], a[5] + b[5])


def within(region: Region, low: float, high: float) -> Region:
    """The region with q + r held within [low, high], its bounds made tight again."""
    q_low, q_high, r_low, r_high, s_low, s_high = region
    s_low = max(s_low, low, q_low + r_low)
    s_high = min(s_high, high, q_high + r_high)
    if s_low > s_high:
        raise Infeasible
    tight = (
        max(q_low, s_low - r_high),
        min(q_high, s_high - r_low),
        max(r_low, s_low - q_high),
        min(r_high, s_high - q_low),
    )
    if tight[0] > tight[1] or tight[2] > tight[3]:
        raise Infeasible
    return (*tight, s_low, s_high)
