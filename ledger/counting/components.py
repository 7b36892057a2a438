"""Components: statements whose groups and days never meet are independent.

Two statements meet when they share an atom in every dimension of their scopes (a part left
unstated covers every value the ledger names) and their periods overlap. The components are
the statements joined by meeting, transitively: each is solved on its own, and a question is
answered by adding the answers of the components it touches.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence

from ledger.counting.context import Context
from ledger.counting.model import DIMENSIONS
from ledger.records import Statement
from ledger.scope import (
    OTHER,
    Scope,
    framework_atoms,
    handover_atoms,
    nationality_atoms,
)


def components(statements: Sequence[Statement], context: Context) -> list[list[int]]:
    """The statements (by position) that share a group on a day, transitively: each list is
    one component, in the order of its first statement."""
    parent = list(range(len(statements)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    # Statements of one scope are joined where their periods meet; statements of different
    # scopes where they share an atom in every dimension and their periods meet.
    by_scope: dict[Scope, list[int]] = defaultdict(list)
    for i, s in enumerate(statements):
        by_scope[s.scope].append(i)
    by_atom: dict[tuple[object, ...], list[Scope]] = defaultdict(list)
    known: dict[tuple[int, object], list[object]] = {}
    for scope in by_scope:
        members = sorted(by_scope[scope], key=lambda i: statements[i].period.start)
        _join_overlapping([members], statements, join)
        for atom in _atoms_of(scope, context, known):
            by_atom[atom].append(scope)
    for scopes in by_atom.values():
        if len(scopes) > 1:
            lists = [sorted(by_scope[s], key=lambda i: statements[i].period.start) for s in scopes]
            _join_overlapping(lists, statements, join)
    found: dict[int, list[int]] = defaultdict(list)
    for i in range(len(statements)):
        found[root(i)].append(i)
    return list(found.values())


def _join_overlapping(
    lists: list[list[int]], statements: Sequence[Statement], join: Callable[[int, int], None]
) -> None:
    """Join the statements (each list sorted by start) whose periods overlap."""
    merged = sorted(
        (i for members in lists for i in members), key=lambda i: statements[i].period.start
    )
    reach, holder = None, -1
    for i in merged:
        period = statements[i].period
        if reach is not None and period.start <= reach:
            join(holder, i)
            if period.end > reach:
                reach, holder = period.end, i
        else:
            reach, holder = period.end, i


def _atoms_of(
    scope: Scope, context: Context, known: dict[tuple[int, object], list[object]]
) -> list[tuple[object, ...]]:
    """Every combination of atoms (one per dimension) the scope covers in the whole ledger:
    a part left unstated covers every value any statement names, and OTHER. What each part
    covers depends on that part alone, so it is worked out once per value (`known`)."""
    parts = (
        scope.kind,
        scope.party,
        scope.nationality,
        scope.framework,
        (scope.exchange, scope.batch),
    )
    per_dimension: list[list[object]] = [[scope.population]]
    for d, part in enumerate(parts):
        found = known.get((d, part))
        if found is None:
            found = known[(d, part)] = _covered(d, scope, context)
        per_dimension.append(found)
    return list(itertools.product(*per_dimension))


def _covered(d: int, scope: Scope, context: Context) -> list[object]:
    """The atoms of dimension `d` that the scope covers in the whole ledger."""
    if d == 0:
        atoms: list[object] = list(scope.kind)
    elif d == 1:
        atoms = [scope.party] if scope.party is not None else [*context.parties, OTHER]
    elif d == 2:
        stated = None if scope.nationality is None else frozenset(scope.nationality)
        named = context.nationalities if stated is None else context.groups_including(stated)
        atoms = nationality_atoms([scope], named, every=True)
    elif d == 3:
        atoms = list(framework_atoms([scope], context.frameworks))
    else:
        atoms = handover_atoms([scope], context.batches, context.exchanges)
    return [a for a in atoms if DIMENSIONS[d].covers(scope, a)]
