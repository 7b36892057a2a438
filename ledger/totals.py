"""Totals: what the entries say had happened by each day, as intervals (DESIGN.md, "totals").

Each key is an unknown non-negative daily series. An entry bounds the sum of that series over its
period; days no entry covers are 0. A day's `low` and `high` are the exact minimum and maximum
over every series consistent with all reports, never a count spread evenly over a period.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from operator import attrgetter
from typing import Any, ClassVar

from ledger.records import Entry, Key, Period

INF = math.inf

# (low, high): low is an int, high an int or INF. Kept as a bare tuple so the arithmetic of the
# window recursion stays readable; the public face is Interval.
Bound = tuple[int, float]
ZERO: Bound = (0, 0)
OPEN: Bound = (0, INF)


class Plain:
    """Gives a totals value a JSON-ready form: dates in ISO, sets sorted, keys as objects."""

    check: ClassVar[str | None] = None  # names the finding in a list of checks

    def to_dict(self, leave_out: Collection[str] = ()) -> dict[str, Any]:
        """Its plain (JSON) form, without the fields named in `leave_out`."""
        found = {"check": self.check} if self.check else {}
        kept = (f.name for f in fields(self) if f.name not in leave_out)
        return {**found, **{name: _plain(getattr(self, name)) for name in kept}}


@dataclass(frozen=True)
class Interval(Plain):
    """A count known to lie in [low, high]; high is None when open-ended."""

    low: int
    high: int | None

    @classmethod
    def of(cls, bound: Bound) -> Interval:
        low, high = bound
        return cls(int(low), None if high == INF else int(high))


@dataclass(frozen=True)
class Report(Plain):
    """One entry's say about an event."""

    entry: str
    count: int
    qualifier: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Event(Plain):
    """One movement of a key over a period, however many entries report it."""

    key: Key
    period: Period
    interval: Interval  # what the reports say, together
    effective: Interval  # after the roll-up checks against finer events
    entries: tuple[str, ...]
    sources: frozenset[str]
    approx: bool
    placed: bool  # False when left out of the roll-up forest for a partial overlap

    @property
    def corroboration(self) -> int:
        return len(self.sources)

    def to_dict(self, leave_out: Collection[str] = ()) -> dict[str, Any]:
        return {**super().to_dict(leave_out), "corroboration": self.corroboration}


@dataclass(frozen=True)
class Conflict(Plain):
    """Reports of one event whose counts cannot all be true; the event keeps their hull."""

    check: ClassVar[str | None] = "conflict"

    key: Key
    period: Period
    entries: tuple[str, ...]
    reports: tuple[Report, ...]
    interval: Interval


@dataclass(frozen=True)
class RollUp(Plain):
    """A coarse event checked against the finer events inside its period."""

    check: ClassVar[str | None] = "roll_up"

    key: Key
    period: Period
    coarse: tuple[str, ...]
    finer: tuple[str, ...]
    expected: Interval
    finer_sum: Interval
    remainder: Interval | None  # carried by the uncovered days; None on a mismatch
    uncovered_days: int
    status: str  # ok | partial | mismatch


@dataclass(frozen=True)
class Overlap(Plain):
    """An event whose period partially overlaps another's: counted only in the highs."""

    check: ClassVar[str | None] = "overlap"

    key: Key
    period: Period
    entries: tuple[str, ...]
    overlaps: tuple[str, ...]  # entries of the events it crosses
    interval: Interval
    status: str = "overlap"


@dataclass(frozen=True)
class Day(Plain):
    """One day of a total: that day's movement and the running total by its end."""

    date: dt.date
    daily: Interval
    cumulative: Interval
    entries: tuple[str, ...]
    approx: bool


@dataclass(frozen=True)
class Totals(Plain):
    """Day-by-day intervals for the matching entries, with every finding met on the way."""

    days: tuple[Day, ...]
    total: Interval
    approx: bool
    conflicts: tuple[Conflict, ...]
    checks: tuple[RollUp | Overlap, ...]
    events: tuple[Event, ...]


def totals(
    entries: Iterable[Entry],
    *,
    population: str | None = None,
    kind: str | None = None,
    party: str | None = None,
    nationality: str | None = None,
    framework: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Totals:
    """Day-by-day totals of the entries matching the filters (None: any), summed over keys."""
    chosen = _chosen(entries, Key(population, kind, party, nationality, framework))
    if not chosen:
        return Totals((), Interval(0, 0), False, (), (), ())
    nodes, conflicts = _events(chosen)
    ledger = _Forest.build(chosen, nodes)
    first = min(e.period.start for e in chosen)
    last = max(e.period.end for e in chosen)
    # Clipping only narrows the days shown: every figure is computed on the full series.
    shown = Period(max(first, start or first), min(last, end or last))
    shown_days = _each_day(shown)
    total_day = min(last, end or last)
    # The total is the last shown day's cumulative, or, when no day is shown, its own day's.
    extra = [total_day] if not shown_days and total_day >= first else []
    computed = ledger.days(shown_days + extra)
    days = tuple(computed[: len(shown_days)])
    total = computed[-1] if total_day >= first else None
    return Totals(
        days=days,
        total=total.cumulative if total else Interval(0, 0),
        approx=total.approx if total else False,
        conflicts=tuple(sorted(conflicts, key=lambda c: _order(c.key, c.period))),
        checks=tuple(sorted(ledger.checks, key=lambda c: _order(c.key, c.period))),
        events=tuple(
            sorted((n.event() for n in ledger.nodes()), key=lambda e: _order(e.key, e.period))
        ),
    )


# --- events: one per key and period (rule 2) -------------------------------------------------


@dataclass(eq=False)
class _Node:
    """An event while the roll-up forest is built; mutable because it is settled bottom-up."""

    key: Key
    period: Period
    bound: Bound
    entries: tuple[str, ...]
    sources: frozenset[str]
    approx: bool
    children: list[_Node] = field(default_factory=list)
    gaps: list[Period] = field(default_factory=list)  # days of the period in no child
    gaps_open: bool = True  # False once a mismatch forces the uncovered days to 0
    effective: Bound = OPEN
    placed: bool = True

    def event(self) -> Event:
        return Event(
            key=self.key,
            period=self.period,
            interval=Interval.of(self.bound),
            effective=Interval.of(self.effective if self.placed else self.bound),
            entries=self.entries,
            sources=self.sources,
            approx=self.approx,
            placed=self.placed,
        )


def _events(entries: list[Entry]) -> tuple[list[_Node], list[Conflict]]:
    """Group reports of the same key and period into one event each."""
    groups: dict[tuple[Key, Period], list[Entry]] = {}
    for entry in entries:
        groups.setdefault((entry.key, entry.period), []).append(entry)
    nodes, conflicts = [], []
    for (key, period), reports in groups.items():
        reports.sort(key=lambda e: (e.id, e.count, e.qualifier, sorted(e.sources)))
        bound = _meet_all(_report_bound(e.qualifier, e.count) for e in reports)
        if bound is None:
            bound = _hull(_report_bound(e.qualifier, e.count) for e in reports)
            conflicts.append(_conflict(key, period, reports, bound))
        sure = _meet_all(
            _report_bound(e.qualifier, e.count) for e in reports if e.qualifier != "approx"
        )
        nodes.append(
            _Node(
                key=key,
                period=period,
                bound=bound,
                entries=tuple(sorted({e.id for e in reports})),
                sources=frozenset().union(*(e.sources for e in reports)),
                # An approximate report counts only when the others do not pin the event alone.
                approx=any(e.qualifier == "approx" for e in reports) and sure != bound,
            )
        )
    return nodes, conflicts


def _report_bound(qualifier: str, count: int) -> Bound:
    # The range of the period's sum that one report allows.
    if qualifier == "at_least":
        return (count, INF)
    if qualifier == "at_most":
        return (0, count)
    return (count, count)  # exact, and approx (flagged where it counts)


def _conflict(key: Key, period: Period, reports: list[Entry], hull: Bound) -> Conflict:
    return Conflict(
        key=key,
        period=period,
        entries=tuple(sorted({e.id for e in reports})),
        reports=tuple(
            Report(e.id, e.count, e.qualifier, tuple(sorted(e.sources))) for e in reports
        ),
        interval=Interval.of(hull),
    )


# --- the roll-up forest (rule 3) -------------------------------------------------------------


@dataclass
class _Forest:
    """Every key's roll-up forest, plus the events left out of it for a partial overlap."""

    entries: list[Entry]
    roots: list[_Node] = field(default_factory=list)
    left_out: list[_Node] = field(default_factory=list)
    checks: list[RollUp | Overlap] = field(default_factory=list)
    approx: list[_Node] = field(default_factory=list)  # events an approximate count shapes

    @classmethod
    def build(cls, entries: list[Entry], nodes: list[_Node]) -> _Forest:
        by_key: dict[Key, list[_Node]] = {}
        for node in nodes:
            by_key.setdefault(node.key, []).append(node)
        ledger = cls(entries)
        for key_nodes in by_key.values():
            roots, left_out, overlaps = _plant(key_nodes)
            ledger.roots += roots
            ledger.left_out += left_out
            ledger.checks += overlaps
            for root in roots:
                ledger.checks += _settle(root)
        ledger.approx = [n for n in ledger.nodes() if n.approx]
        return ledger

    def nodes(self) -> list[_Node]:
        found, stack = [], [*self.roots, *self.left_out]
        while stack:
            node = stack.pop()
            found.append(node)
            stack += node.children
        return found

    def days(self, dates: list[dt.date]) -> list[Day]:
        """Each of the (ascending) days, in one sweep: an event is split only on the days its
        period covers; before them it adds nothing, after them its whole effective count."""
        roots = sorted(self.roots, key=lambda n: n.period.start)
        left_out = sorted(self.left_out, key=lambda n: n.period.start)
        entries = sorted(self.entries, key=lambda e: e.period.start)
        approx_from = min((n.period.start for n in self.approx), default=None)
        live_roots: list[_Node] = []
        live_left: list[_Node] = []
        live_entries: list[Entry] = []
        ended: Bound = ZERO  # roots whose period ended before the day
        left_high: float = 0  # highs of left-out events that began by the day
        r = lo = n = 0
        found = []
        for date in dates:
            while r < len(roots) and roots[r].period.start <= date:
                live_roots.append(roots[r])
                r += 1
            while lo < len(left_out) and left_out[lo].period.start <= date:
                live_left.append(left_out[lo])
                left_high += left_out[lo].bound[1]
                lo += 1
            while n < len(entries) and entries[n].period.start <= date:
                live_entries.append(entries[n])
                n += 1
            for node in live_roots:
                if node.period.end < date:
                    ended = _add(ended, node.effective)
            live_roots = [x for x in live_roots if x.period.end >= date]
            live_left = [x for x in live_left if x.period.end >= date]
            live_entries = [x for x in live_entries if x.period.end >= date]
            today, by_then = Period(date, date), Period(dt.date.min, date)
            daily, cumulative = ZERO, ended
            for root in live_roots:
                daily = _add(daily, _split(root, today)[0])
                cumulative = _add(cumulative, _split(root, by_then)[0])
            # An overlapping event may count the same people as the events it crosses, so it
            # can only raise highs; its count stays visible there and in the Overlap finding.
            for node in live_left:
                daily = _add(daily, (0, node.bound[1]))
            cumulative = _add(cumulative, (0, left_high))
            found.append(
                Day(
                    date=date,
                    daily=Interval.of(daily),
                    cumulative=Interval.of(cumulative),
                    entries=tuple(sorted({e.id for e in live_entries})),
                    approx=approx_from is not None and approx_from <= date,
                )
            )
        return found


def _plant(nodes: list[_Node]) -> tuple[list[_Node], list[_Node], list[Overlap]]:
    """Place one key's events by containment, longest first; crossing ones are left out."""
    roots: list[_Node] = []
    left_out: list[_Node] = []
    overlaps: list[Overlap] = []
    # Placed events never cross, so each day has one innermost placed event, and the placed
    # events meeting a new one are those innermost events and their ancestors.
    innermost: dict[dt.date, _Node] = {}
    parent: dict[int, _Node] = {}
    order = sorted(nodes, key=lambda n: (-n.period.days, n.period.start, n.period.end, n.entries))
    for node in order:
        meeting: dict[int, _Node] = {}
        days = node.period.each_day()
        for day in days:
            found = innermost.get(day)
            while found is not None and id(found) not in meeting:
                meeting[id(found)] = found
                found = parent.get(id(found))
        crossed = [p for p in meeting.values() if _crosses(p.period, node.period)]
        if crossed:
            node.placed = False
            left_out.append(node)
            overlaps.append(
                Overlap(
                    key=node.key,
                    period=node.period,
                    entries=node.entries,
                    overlaps=tuple(sorted({i for p in crossed for i in p.entries})),
                    interval=Interval.of(node.bound),
                )
            )
            continue
        # Longest first, so every placed event that meets this one contains it.
        parents = [p for p in meeting.values() if p.period.contains(node.period)]
        if parents:
            chosen = min(parents, key=lambda p: p.period.days)
            chosen.children.append(node)
            parent[id(node)] = chosen
        else:
            roots.append(node)
        for day in days:
            innermost[day] = node
    return roots, left_out, overlaps


def _crosses(a: Period, b: Period) -> bool:
    return a.overlaps(b) and not a.contains(b) and not b.contains(a)


def _settle(node: _Node) -> list[RollUp]:
    """Fix each event's effective interval bottom-up, checking it against its finer events."""
    checks: list[RollUp] = []
    for child in node.children:
        checks += _settle(child)
    node.children.sort(key=lambda c: c.period.start)
    node.gaps = _gaps(node.period, [c.period for c in node.children])
    finer = _sum(c.effective for c in node.children)
    meet = _meet(node.bound, _add(finer, OPEN if node.gaps else ZERO))
    if meet is None:
        # Finer reports win: the coarse one is a check, and it failed.
        node.effective, node.gaps_open = finer, False
    else:
        node.effective = meet
    if node.children:
        checks.append(_roll_up(node, finer, meet is not None))
    return checks


def _roll_up(node: _Node, finer: Bound, agrees: bool) -> RollUp:
    uncovered = sum(g.days for g in node.gaps)
    if not agrees:
        status, remainder = "mismatch", None
    elif uncovered:
        low, high = node.bound
        # What the uncovered days must carry for the finer events to add up to the coarse one.
        status, remainder = "partial", Interval.of((max(0, low - finer[1]), high - finer[0]))
    else:
        status, remainder = "ok", Interval(0, 0)
    return RollUp(
        key=node.key,
        period=node.period,
        coarse=node.entries,
        finer=tuple(sorted({i for c in node.children for i in c.entries})),
        expected=Interval.of(node.bound),
        finer_sum=Interval.of(finer),
        remainder=remainder,
        uncovered_days=uncovered,
        status=status,
    )


def _gaps(period: Period, inside: list[Period]) -> list[Period]:
    """The runs of days of a period that none of the (disjoint, sorted) inner periods covers."""
    gaps, cursor = [], period.start
    for p in inside:
        if p.start > cursor:
            gaps.append(Period(cursor, p.start - dt.timedelta(days=1)))
        cursor = p.end + dt.timedelta(days=1)
    if cursor <= period.end:
        gaps.append(Period(cursor, period.end))
    return gaps


def _split(node: _Node, window: Period) -> tuple[Bound, Bound]:
    """Ranges of the node's count inside and outside a window, exact given the whole forest."""
    if window.contains(node.period):
        return node.effective, ZERO
    if not window.overlaps(node.period):
        return ZERO, node.effective
    raw_in, raw_out = ZERO, ZERO
    for child in node.children:
        inside, outside = _split(child, window)
        raw_in, raw_out = _add(raw_in, inside), _add(raw_out, outside)
    if node.gaps_open:
        for gap in node.gaps:
            if gap.overlaps(window):
                raw_in = _add(raw_in, OPEN)
            if not window.contains(gap):
                raw_out = _add(raw_out, OPEN)
    # The parts are free within their own ranges but must add up to the node's effective count.
    low, high = node.effective
    inside = (max(raw_in[0], low - raw_out[1]), min(raw_in[1], high - raw_out[0]))
    outside = (max(raw_out[0], low - raw_in[1]), min(raw_out[1], high - raw_in[0]))
    return inside, outside


# --- interval arithmetic ---------------------------------------------------------------------


def _add(a: Bound, b: Bound) -> Bound:
    return (a[0] + b[0], a[1] + b[1])


def _sum(bounds: Iterable[Bound]) -> Bound:
    total = ZERO
    for b in bounds:
        total = _add(total, b)
    return total


def _meet(a: Bound, b: Bound) -> Bound | None:
    low, high = max(a[0], b[0]), min(a[1], b[1])
    return (low, high) if low <= high else None


def _meet_all(bounds: Iterable[Bound]) -> Bound | None:
    result: Bound | None = OPEN
    for b in bounds:
        result = _meet(result, b) if result is not None else None
    return result


def _hull(bounds: Iterable[Bound]) -> Bound:
    listed = list(bounds)
    return (min(b[0] for b in listed), max(b[1] for b in listed))


# --- keys and days ---------------------------------------------------------------------------


def _chosen(entries: Iterable[Entry], wanted: Key) -> list[Entry]:
    """The entries whose key matches every part of `wanted` that is not None."""
    parts = [(n, v) for n, v in zip(Key._fields, wanted, strict=True) if v is not None]
    if not parts:
        return list(entries)
    if len(parts) == 1:
        ((name, value),) = parts
        return [e for e in entries if getattr(e, name) == value]
    read, values = attrgetter(*(name for name, _ in parts)), tuple(v for _, v in parts)
    return [e for e in entries if read(e) == values]


def _order(key: Key, period: Period) -> tuple[Any, ...]:
    # nationality may be None, which does not sort against str.
    return (*(part or "" for part in key), period.start, period.end)


def _each_day(period: Period) -> list[dt.date]:
    return period.each_day() if period.start <= period.end else []


def _plain(value: Any) -> Any:
    if isinstance(value, Plain):
        return value.to_dict()
    if isinstance(value, Key):
        return value._asdict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value
