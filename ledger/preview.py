"""A dry run: what a new entry, or a new revision of one, would change, written nowhere.

Only the part of the ledger the entry reaches can change (`ledger.counting.changes`): the
components that meet it (or held the revision it replaces). They are worked out again with
the change, and set beside the ledger as it stands: the findings the change would add or
settle, and the days whose figures would move, for every population and kind the entry
counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ledger.counting import Analysis
from ledger.counting.changes import revised
from ledger.records import Entry, Period
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
    changed = revised(analysis, (), [draft.statement], exchanges)
    # Only the components the change reached can gain or lose a finding.
    kept = {id(c) for c in changed.components} & {id(c) for c in analysis.components}
    meeting = [c for c in analysis.components if id(c) not in kept]
    worked = [c for c in changed.components if id(c) not in kept]
    old_ids = {f.id for found in findings(Analysis((), analysis.context, meeting)) for f in found}
    new_conflicts, new_implied = findings(Analysis((), changed.context, worked))
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
