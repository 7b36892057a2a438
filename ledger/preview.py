"""A dry run: what a new entry, or a new revision of one, would change, written nowhere.

Only the part of the ledger the entry meets can change: the components that hold it (or held
the revision it replaces). They are worked out again with the change, and set beside the
ledger as it stands: the findings the change would add or settle, and the days whose figures
would move, for every population and kind the entry counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ledger.counting import Analysis, Context, component
from ledger.counting.components import components
from ledger.records import Entry, Period, Statement
from ledger.scope import Question
from ledger.totals import Conflict, Implied, Interval, Plain, answer, findings


@dataclass(frozen=True)
class Change(Plain):
    """A day whose figure the change would move."""

    population: str
    kind: str
    date: dt.date
    before: Interval
    after: Interval


@dataclass(frozen=True)
class Preview(Plain):
    """What an entry would be stored as, and what it would change."""

    entry: Entry
    conflicts: tuple[Conflict, ...]  # that it would add
    implied: tuple[Implied, ...]  # that it would add
    settled: tuple[str, ...]  # findings it would make go away
    changes: tuple[Change, ...]


def preview(
    analysis: Analysis,
    entries: tuple[Entry, ...],
    exchanges: Mapping[str, Period],
    draft: Entry,
) -> Preview:
    """The change `draft` would make to a ledger of `entries` (analysed as `analysis`); a
    draft with the id of an entry in force replaces it."""
    replaced = next((e for e in entries if e.id == draft.id), None)
    after = [e.statement for e in entries if e.id != draft.id] + [draft.statement]
    context = Context.of(after, exchanges)
    near = {after[i].id for i in _holding(after, context, len(after) - 1)}
    if replaced is not None:
        before = [e.statement for e in entries]
        held = _holding(before, analysis.context, before.index(replaced.statement))
        near |= {before[i].id for i in held}
    kept = [c for c in analysis.components if not any(r.id in near for r in c.rows)]
    worked = [
        component(sorted(group, key=lambda s: (s.id, s.period)), context)
        for group in _groups([s for s in after if s.id in near], context)
    ]
    changed = Analysis(tuple(after), context, kept + worked)
    # Only the components the change meets can gain or lose a finding.
    meeting = [c for c in analysis.components if any(r.id in near for r in c.rows)]
    old_ids = {f.id for found in findings(Analysis((), analysis.context, meeting)) for f in found}
    new_conflicts, new_implied = findings(Analysis((), context, worked))
    new_ids = {f.id for f in (*new_conflicts, *new_implied)}
    settled = sorted(old_ids - new_ids)
    kinds = {(draft.population, k) for k in draft.kind}
    if replaced is not None:
        kinds |= {(replaced.population, k) for k in replaced.kind}
    return Preview(
        entry=draft,
        conflicts=tuple(c for c in new_conflicts if c.id not in old_ids),
        implied=tuple(f for f in new_implied if f.id not in old_ids),
        settled=tuple(settled),
        changes=tuple(
            change
            for population, kind in sorted(kinds)
            for change in _changes(analysis, changed, population, kind)
        ),
    )


def _changes(before: Analysis, after: Analysis, population: str, kind: str) -> list[Change]:
    question = Question(population=population, kind=(kind,))
    was = {d.date: d.cumulative for d in answer(before, question, None, None).days}
    now = {d.date: d.cumulative for d in answer(after, question, None, None).days}
    found = []
    for date in sorted(set(was) | set(now)):
        old = was.get(date) or _carried(was, date)
        new = now.get(date) or _carried(now, date)
        if old != new:
            found.append(Change(population, kind, date, old, new))
    return found


def _carried(days: dict[dt.date, Interval], date: dt.date) -> Interval:
    """A running total on a day outside its own days: 0 before them, the last after."""
    earlier = [d for d in days if d < date]
    return days[max(earlier)] if earlier else Interval(0, 0)


def _holding(statements: list[Statement], context: Context, index: int) -> list[int]:
    """The statements of the component that holds statements[index]."""
    return next(group for group in components(statements, context) if index in group)


def _groups(statements: list[Statement], context: Context) -> list[list[Statement]]:
    return [[statements[i] for i in group] for group in components(statements, context)]
