"""Laws the totals obey on any ledger, checked on small random ones (hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.records import QUALIFIERS, Entry, Evidence, Period
from ledger.totals import Interval, Totals, totals

FIRST = dt.date(2023, 11, 20)
LAWS = settings(max_examples=200, deadline=None)
KEYS = [("Hamas", "released", None), ("Hamas", "released", "Thai"), ("Israel", "captured", None)]


def on(offset: int) -> dt.date:
    return FIRST + dt.timedelta(days=offset)


def make(id: str, count: int, start: int, end: int, qualifier: str, key=KEYS[0]) -> Entry:
    party, kind, nationality = key
    return Entry(
        id=id,
        kind=kind,
        population="hostages",
        count=count,
        qualifier=qualifier,
        period=Period(on(start), on(end)),
        party=party,
        nationality=nationality,
        evidence=(Evidence(f"src-{id}", 0, str(count), 0, 1),),
    )


@st.composite
def reports(draw, ids: str = "e", window: int = 10, max_count: int = 6) -> list[Entry]:
    """A few entries of a few keys, periods inside a window of days, every qualifier."""
    found = []
    for i in range(draw(st.integers(0, 7))):
        start = draw(st.integers(0, window - 1))
        end = draw(st.integers(start, min(window - 1, start + 4)))
        found.append(
            make(
                f"{ids}{i}",
                draw(st.integers(0, max_count)),
                start,
                end,
                draw(st.sampled_from(QUALIFIERS)),
                draw(st.sampled_from(KEYS)),
            )
        )
    return found


def high(interval: Interval) -> float:
    return math.inf if interval.high is None else interval.high


def figures(result: Totals) -> list[tuple[dt.date, Interval, Interval, bool]]:
    return [(d.date, d.daily, d.cumulative, d.approx) for d in result.days]


@LAWS
@given(reports())
def test_low_never_exceeds_high(ledger):
    for d in totals(ledger).days:
        assert d.daily.low <= high(d.daily)
        assert d.cumulative.low <= high(d.cumulative)


@LAWS
@given(reports())
def test_cumulative_low_and_high_never_decrease(ledger):
    days = totals(ledger).days
    for before, after in itertools.pairwise(days):
        assert before.cumulative.low <= after.cumulative.low
        assert high(before.cumulative) <= high(after.cumulative)


@LAWS
@given(st.data())
def test_the_order_entries_arrive_in_never_matters(data):
    ledger = data.draw(reports())
    shuffled = data.draw(st.permutations(ledger))
    assert totals(shuffled) == totals(ledger)


@LAWS
@given(reports(), st.data())
def test_duplicate_reports_never_change_totals(ledger, data):
    if not ledger:
        return
    picked = data.draw(st.lists(st.sampled_from(ledger), min_size=1, max_size=3))
    copies = [
        Entry(**{**vars(e), "id": f"copy{i}", "evidence": (Evidence("other", 0, "x", 0, 1),)})
        for i, e in enumerate(picked)
    ]
    before, after = totals(ledger), totals([*ledger, *copies])
    assert figures(after) == figures(before)
    assert after.total == before.total


@st.composite
def split_exact(draw) -> tuple[list[Entry], Entry, list[Entry]]:
    """A ledger, an exact coarse entry in it, and finer entries that add up to it exactly."""
    ledger = draw(reports())
    key = draw(st.sampled_from(KEYS))
    start = draw(st.integers(0, 6))
    end = draw(st.integers(start, 9))
    count = draw(st.integers(0, 12))
    coarse = make("coarse", count, start, end, "exact", key)
    # Other reports of the same key inside or across the coarse period would be checked against
    # the new finer ones too; the law is about the split alone.
    ledger = [
        e
        for e in ledger
        if e.key != coarse.key
        or not e.period.overlaps(coarse.period)
        or (e.period.contains(coarse.period) and e.period != coarse.period)
    ]
    cuts = sorted(draw(st.sets(st.integers(start + 1, end), max_size=3)) if end > start else [])
    bounds = [start, *cuts, end + 1]
    shares = sorted(
        draw(st.lists(st.integers(0, count), min_size=len(bounds) - 2, max_size=len(bounds) - 2))
    )
    counts = [b - a for a, b in itertools.pairwise([0, *shares, count])]
    finer = [
        make(f"part{i}", n, a, b - 1, "exact", key)
        for i, (n, (a, b)) in enumerate(zip(counts, itertools.pairwise(bounds), strict=True))
    ]
    return ledger, coarse, finer


@LAWS
@given(split_exact())
def test_finer_entries_that_add_up_never_change_the_total(case):
    ledger, coarse, finer = case
    before = totals([*ledger, coarse])
    after = totals([*ledger, coarse, *finer])
    assert after.total == before.total
    late = [(d.date, d.cumulative) for d in before.days if d.date >= coarse.period.end]
    assert [(d.date, d.cumulative) for d in after.days if d.date >= coarse.period.end] == late


# The strongest law: on laminar single-key ledgers the intervals are the exact min and max over
# every daily series the reports allow, found here by trying them all.

DAYS = 4


@st.composite
def laminar_feasible(draw) -> list[Entry]:
    """Reports of one key, periods nested or apart, all true of one hidden daily series."""
    hidden = draw(st.lists(st.integers(0, 2), min_size=DAYS, max_size=DAYS))
    found: list[Entry] = []
    for i in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, DAYS - 1))
        end = draw(st.integers(start, DAYS - 1))
        period = Period(on(start), on(end))
        if any(_crosses(period, e.period) for e in found):
            continue
        true = sum(hidden[start : end + 1])
        qualifier = draw(st.sampled_from(["exact", "at_least", "at_most", "approx"]))
        slack = draw(st.integers(0, 2))
        count = {"at_least": max(0, true - slack), "at_most": true + slack}.get(qualifier, true)
        if count <= 4:
            found.append(make(f"r{i}", count, start, end, qualifier))
    return found


def _crosses(a: Period, b: Period) -> bool:
    return a.overlaps(b) and not a.contains(b) and not b.contains(a)


def brute_force(ledger: list[Entry]) -> dict[dt.date, tuple[tuple[int, int], tuple[int, int]]]:
    """Per day, (min, max) of the daily and cumulative count over every allowed series."""
    spans = [
        (e, range((e.period.start - FIRST).days, (e.period.end - FIRST).days + 1)) for e in ledger
    ]
    # A day no bounded report covers is capped just above any bounded figure, so reaching the
    # cap means the true maximum is open-ended.
    cap = sum(e.count for e in ledger) + 1
    limits = []
    for d in range(DAYS):
        covering = [e for e, span in spans if d in span]
        bounded = [e.count for e in covering if e.qualifier != "at_least"]
        limits.append(0 if not covering else min(bounded, default=cap))
    lows = {"exact": 1, "approx": 1, "at_least": 1, "at_most": 0}
    found: dict[int, list[list[int]]] = {}
    for series in itertools.product(*(range(n + 1) for n in limits)):
        ok = all(
            (lows[e.qualifier] * e.count <= sum(series[d] for d in span))
            and (e.qualifier == "at_least" or sum(series[d] for d in span) <= e.count)
            for e, span in spans
        )
        if ok:
            running = list(itertools.accumulate(series))
            for d in range(DAYS):
                found.setdefault(d, []).append([series[d], running[d]])
    return {
        on(d): (
            (min(v[0] for v in vs), max(v[0] for v in vs)),
            (min(v[1] for v in vs), max(v[1] for v in vs)),
        )
        for d, vs in found.items()
    }


@settings(max_examples=200, deadline=None)
@given(laminar_feasible())
def test_intervals_are_the_exact_min_and_max_over_every_allowed_series(ledger):
    expected = brute_force(ledger)
    cap = sum(e.count for e in ledger) + 1
    result = totals(ledger)
    assert result.checks == () or all(c.status != "mismatch" for c in result.checks)
    for d in result.days:
        (daily_min, daily_max), (cumulative_min, cumulative_max) = expected[d.date]
        assert d.daily.low == daily_min
        assert d.cumulative.low == cumulative_min
        assert (d.daily.high is None) == (daily_max >= cap)
        assert (d.cumulative.high is None) == (cumulative_max >= cap)
        if d.daily.high is not None:
            assert d.daily.high == daily_max
        if d.cumulative.high is not None:
            assert d.cumulative.high == cumulative_max
