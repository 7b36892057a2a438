"""A change to the ledger, analysed by what it can reach.

A write adds, replaces or retracts a few statements. Only three kinds of component can come
out of it split, joined or worked out differently: those that held a statement it replaces or
retracts, those an added statement meets, and those whose groups it renames (a batch,
nationality, party or exchange the ledger names for the first time or no longer names, or an
exchange's days). Those are split again with the change; every other component is kept with
everything it has worked out, so the first answer after a write works out only what the write
touched.

`revised(analysis, gone, added, exchanges)` gives exactly what `analyse` gives on the ledger
after the change (tests/unit/test_counting_changes.py holds it to that).
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Mapping, Sequence

from ledger.counting import Analysis, Component, Indexes, component
from ledger.counting.components import components
from ledger.counting.context import Context, Named
from ledger.records import Period, Statement
from ledger.scope import Scope


def revised(
    analysis: Analysis,
    gone: Collection[str],
    added: Sequence[Statement],
    exchanges: Mapping[str, Period | None] | None = None,
) -> Analysis:
    """The analysis of the ledger once the statements of ids `gone` leave it and `added`
    come in (an added statement replaces any of its id)."""
    leaving = {*gone, *(s.id for s in added)}
    staying, left = _without(analysis, leaving)
    for statement in added:  # into their places: the statements are kept in order
        bisect.insort(staying, statement, key=_place)
    statements = tuple(staying)
    # Only what leaves and comes in is counted again (what the ledger names: its context).
    named = (analysis.named or Named.of(analysis.statements)).changed(left, added)
    context = named.context(exchanges, before=analysis.context)
    indexes = analysis.indexes
    near = {indexes.holding[i] for i in leaving if i in indexes.holding}
    for statement in added:
        near.update(_could_meet(indexes, statement))
    renamed = set(_renamed(analysis, context, named.touched))
    near |= renamed
    pool = [r for c in near for r in c.rows if r.id not in leaving]
    pool += added
    # A component the change meets may come out with the same statements: it keeps its
    # work, unless the change renamed its groups.
    unchanged = {frozenset(c.rows): c for c in near - renamed}
    made = []
    for members in components(pool, context):
        rows = sorted((pool[i] for i in members), key=lambda s: (s.id, s.period))
        same = unchanged.get(frozenset(rows))
        made.append(same if same is not None else component(rows, context))
    found = [c for c in analysis.components if c not in near]
    for c in made:  # into their places: the components are kept in order too
        bisect.insort(found, c, key=lambda c: c.first)
    kept = set(made) & near
    change = (tuple(c for c in near if c not in kept), tuple(c for c in made if c not in kept))
    return Analysis(statements, context, found, indexes.moved(near, made), named, change)


def _without(analysis: Analysis, leaving: set[str]) -> tuple[list[Statement], list[Statement]]:
    """The analysis's statements but those of ids `leaving`, in order, and those that left:
    each found by its place (its component knows its day), so a write of a few statements
    costs a copy of the list, not a pass over it in Python."""
    staying, left = list(analysis.statements), []
    holding = analysis.indexes.holding
    for statement_id in sorted(leaving):
        held = holding.get(statement_id)
        if held is None:
            continue  # a new statement
        statement = next(r for r in held.rows if r.id == statement_id)
        i = bisect.bisect_left(staying, _place(statement), key=_place)
        if i < len(staying) and staying[i].id == statement_id:
            left.append(staying.pop(i))
        else:  # not where its component places it: look everywhere
            return _passed_over(analysis, leaving)
    return staying, left


def _passed_over(analysis: Analysis, leaving: set[str]) -> tuple[list[Statement], list[Statement]]:
    staying, left = [], []
    for s in analysis.statements:
        (left if s.id in leaving else staying).append(s)
    return staying, left


def _place(statement: Statement) -> tuple[object, str]:
    return (statement.period.start, statement.id)


def _could_meet(indexes: Indexes, statement: Statement) -> Iterable[Component]:
    """The components that may meet the statement: of its population, naming its exchange
    (or none, or any where it names none), on days that overlap its own."""
    scope, period = statement.scope, statement.period
    if scope.exchange is None:
        exchanges: Iterable[str | None] = [
            key[1] for key in indexes.by_exchange if key[0] == scope.population
        ]
    else:
        exchanges = (scope.exchange, None)
    return indexes.meeting(scope.population, exchanges, period)


def _renamed(analysis: Analysis, after: Context, touched: Iterable[object]) -> Iterable[Component]:
    """The components whose groups the change renames: a part left unstated covers every
    value the ledger names, a nationality covers the named groups that hold it, an exchange
    its batches and their days, so a scope's groups change only where what the ledger names
    in that part changes."""
    before = analysis.context
    parties = set(before.parties) ^ set(after.parties)
    groups = before.nationalities ^ after.nationalities
    members = frozenset().union(*groups)
    named = set(before.exchanges) ^ set(after.exchanges)
    handovers = {
        e
        for e in set(before.batches) | set(after.batches)
        if before.batches.get(e) != after.batches.get(e)
    }
    # A batch's days differ only where the change named it or moved its exchange's days.
    reached_days = {*touched, *((e, None) for e in {*before.exchanges, *after.exchanges})}
    handovers |= {
        key[0]  # type: ignore[index]
        for key in reached_days
        if before.days.get(key) != after.days.get(key)
    }
    if not (parties or groups or named or handovers):
        return ()

    def reached(scope: Scope) -> bool:
        if parties and scope.party is None:
            return True
        if groups and (scope.nationality is None or members.intersection(scope.nationality)):
            return True
        if scope.exchange is None:
            return bool(named or handovers)
        return scope.exchange in handovers

    if parties or groups:
        candidates: Iterable[Component] = analysis.components
    else:  # only what exchanges name changed: the components of those, or of none
        by_exchange = analysis.indexes.by_exchange
        candidates = {
            c
            for key, held in by_exchange.items()
            if key[1] is None or key[1] in handovers
            for c in held
        }
    return [c for c in candidates if any(reached(r.scope) for r in c.rows)]


__all__ = ["revised"]
