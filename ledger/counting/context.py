"""What the whole ledger names that shapes every component (`Context`), and those names
counted statement by statement (`Named`), so that a change recounts only what it touches."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ledger.records import FRAMEWORKS, Period, Statement
from ledger.scope import Handover, Scope

if TYPE_CHECKING:
    from ledger.counting.model import Shape

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Context:
    """What the whole ledger says that shapes every component: the named groups, and the days
    on which each exchange and each named batch can have moved anyone."""

    parties: tuple[str, ...] = ()
    nationalities: frozenset[frozenset[str]] = frozenset()  # every named group, singletons too
    batches: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # labels per exchange
    exchanges: tuple[str, ...] = ()
    days: Mapping[object, tuple[Period, ...]] = field(default_factory=dict)  # handover atom
    frameworks: tuple[str, ...] = FRAMEWORKS
    # Components of the same scopes share their shape: kept per ledger, not worked out again.
    shapes: dict[tuple[Scope, ...], Shape] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def _groups_with(self) -> Mapping[str, tuple[frozenset[str], ...]]:
        found: dict[str, list[frozenset[str]]] = defaultdict(list)
        for group in self.nationalities:
            for nationality in group:
                found[nationality].append(group)
        return {nationality: tuple(groups) for nationality, groups in found.items()}

    def groups_including(self, stated: frozenset[str]) -> list[frozenset[str]]:
        """The named groups whose nationalities include every one stated: looked up by the
        rarest of them, so a ledger naming many groups is not read through for each scope."""
        if not stated:
            return list(self.nationalities)
        fewest = min((self._groups_with.get(n, ()) for n in stated), key=len)
        return [group for group in fewest if group >= stated]

    @classmethod
    def of(
        cls,
        statements: Iterable[Statement],
        exchanges: Mapping[str, Period | None] | None = None,
    ) -> Context:
        """The context of these statements, with each exchange's days (None: not known)."""
        return Named.of(statements).context(exchanges)


@dataclass(frozen=True)
class Named:
    """What the statements name, counted: each party, nationality (as stated), exchange and
    batch's days, with how many statements name it. A change recounts only the statements it
    removes and adds (`changed`), where `Context.of` would read every statement again."""

    parties: Counter[str] = field(default_factory=Counter)
    nationalities: Counter[tuple[str, ...]] = field(default_factory=Counter)
    exchanges: Counter[str] = field(default_factory=Counter)
    batch_days: Mapping[Handover, Counter[Period]] = field(default_factory=dict)
    # Each batch's days merged (`_merged`), worked out again only for the batches a change names.
    merged: Mapping[Handover, tuple[Period, ...]] = field(default_factory=dict)
    # The batches the last change named: the days `context` works out again.
    touched: frozenset[Handover] = field(default=frozenset(), compare=False)

    @classmethod
    def of(cls, statements: Iterable[Statement]) -> Named:
        return cls().changed((), statements)

    def changed(self, gone: Iterable[Statement], added: Iterable[Statement]) -> Named:
        """The names once the statements `gone` leave and `added` come in."""
        parties, nationalities = self.parties.copy(), self.nationalities.copy()
        exchanges = self.exchanges.copy()
        batch_days, touched = dict(self.batch_days), set()
        for sign, statements in ((-1, gone), (1, added)):
            for s in statements:
                scope = s.scope
                if scope.party is not None:
                    parties[scope.party] += sign
                if scope.nationality is not None:
                    nationalities[scope.nationality] += sign
                if scope.exchange is not None:
                    exchanges[scope.exchange] += sign
                    for label in scope.batch or ():
                        handover = (scope.exchange, label)
                        if handover not in touched:
                            touched.add(handover)
                            batch_days[handover] = batch_days.get(handover, Counter()).copy()
                        batch_days[handover][s.period] += sign
        merged = dict(self.merged)
        for handover in touched:
            periods = +batch_days[handover]  # the periods some statement still names
            if periods:
                batch_days[handover], merged[handover] = periods, _merged(sorted(periods))
            else:
                del batch_days[handover]
                merged.pop(handover, None)
        return Named(+parties, +nationalities, +exchanges, batch_days, merged, frozenset(touched))

    def context(
        self, exchanges: Mapping[str, Period | None] | None = None, before: Context | None = None
    ) -> Context:
        """The context these names make, with each exchange's days (None: not known).

        With the context `before` the last change, a batch's days are taken from it unless
        the change named the batch or moved its exchange's days."""
        exchanges = dict(exchanges or {})
        stated = set(self.nationalities)
        named = {frozenset(n) for n in stated} | {frozenset([one]) for n in stated for one in n}
        named_exchanges = set(exchanges) | set(self.exchanges)
        spans = {e: (exchanges[e],) for e in named_exchanges if exchanges.get(e) is not None}
        if before is None:
            days: dict[object, tuple[Period, ...]] = {}
            again: Iterable[Handover] = self.merged
            batches = _labels(self.merged)
        else:
            # Only what the change reached: the batches it named, and those of an exchange
            # whose days moved; every other batch keeps its days and labels.
            moved = {
                e
                for e in named_exchanges | set(before.exchanges)
                if before.days.get((e, None)) != spans.get(e)
            }
            days = dict(before.days)
            for e in named_exchanges | set(before.exchanges):
                days.pop((e, None), None)
            stale = set(self.touched)
            if moved:
                stale |= {key for key in days if key[0] in moved}  # type: ignore[index]
            for key in stale:
                days.pop(key, None)
            again = [handover for handover in stale if handover in self.merged]
            batches = _relabelled(before.batches, self.touched, self.merged)
        days.update(((exchange, None), span) for exchange, span in spans.items())
        for handover in again:
            # A batch moved only on the days its own reports give, within its exchange's.
            merged, span = self.merged[handover], exchanges.get(handover[0])
            days[handover] = tuple(_clipped(merged, span)) if span is not None else merged
        return Context(
            parties=tuple(sorted(self.parties)),
            nationalities=frozenset(named),
            batches=batches,
            exchanges=tuple(sorted(named_exchanges)),
            days=days,
        )


def _labels(handovers: Iterable[Handover]) -> dict[str, tuple[str, ...]]:
    """The batch labels of each exchange, sorted."""
    found: dict[str, list[str]] = defaultdict(list)
    for exchange, label in sorted(handovers, key=lambda h: (h[0], h[1] or "")):
        if label is not None:
            found[exchange].append(label)
    return {exchange: tuple(labels) for exchange, labels in found.items()}


def _relabelled(
    labels: Mapping[str, tuple[str, ...]],
    touched: Iterable[Handover],
    merged: Mapping[Handover, tuple[Period, ...]],
) -> dict[str, tuple[str, ...]]:
    """`_labels` once the batches `touched` came or left (those of `merged` are named)."""
    found = dict(labels)
    for exchange, label in touched:
        if label is None:
            continue
        held = set(found.get(exchange, ()))
        if (exchange, label) in merged:
            held.add(label)
        else:
            held.discard(label)
        if held:
            found[exchange] = tuple(sorted(held))
        else:
            found.pop(exchange, None)
    return found


def _merged(periods: Sequence[Period]) -> tuple[Period, ...]:
    if len(periods) == 1:  # most batches: one report, or reports of the same days
        return (periods[0],)
    found: list[Period] = []
    for p in sorted(periods):
        if found and p.start <= found[-1].end + ONE_DAY:
            found[-1] = Period(found[-1].start, max(found[-1].end, p.end))
        else:
            found.append(p)
    return tuple(found)


def _clipped(periods: Iterable[Period], span: Period) -> list[Period]:
    found = []
    for p in periods:
        start, end = max(p.start, span.start), min(p.end, span.end)
        if start <= end:
            found.append(Period(start, end))
    return found
