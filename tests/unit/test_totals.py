"""Totals, one rule of DESIGN.md ("What the totals mean") per test."""

from __future__ import annotations

import datetime as dt
import json

from ledger.records import Entry, Evidence, Key, Period
from ledger.totals import Conflict, Interval, Overlap, RollUp, totals

NOV = 11


def day(n: int, month: int = NOV) -> dt.date:
    return dt.date(2023, month, n)


def entry(
    id: str,
    count: int,
    start: dt.date,
    end: dt.date | None = None,
    qualifier: str = "exact",
    *,
    sources: tuple[str, ...] = ("src-a",),
    kind: str = "released",
    population: str = "hostages",
    party: str = "Hamas",
    nationality: str | None = None,
    framework: str = "truce_deal",
) -> Entry:
    return Entry(
        id=id,
        kind=kind,
        population=population,
        count=count,
        qualifier=qualifier,
        period=Period(start, end or start),
        party=party,
        nationality=nationality,
        framework=framework,
        evidence=tuple(Evidence(s, 0, f"{count}", 0, 2) for s in sources),
    )


def cumulative(result) -> list[Interval]:
    return [d.cumulative for d in result.days]


def daily(result) -> list[Interval]:
    return [d.daily for d in result.days]


# Rule 1: intervals, not guesses.


def test_a_period_count_is_known_only_at_its_end_and_never_spread():
    result = totals([entry("a", 50, day(24), day(27))])
    assert [d.date for d in result.days] == [day(24), day(25), day(26), day(27)]
    assert cumulative(result) == [Interval(0, 50)] * 3 + [Interval(50, 50)]
    assert daily(result) == [Interval(0, 50)] * 4
    assert result.total == Interval(50, 50)


def test_at_least_leaves_high_open():
    result = totals([entry("a", 10, day(28), day(29), "at_least")])
    assert cumulative(result) == [Interval(0, None), Interval(10, None)]
    assert result.total == Interval(10, None)


def test_at_most_never_raises_low():
    result = totals([entry("a", 7, day(28), qualifier="at_most")])
    assert result.total == Interval(0, 7)


def test_approx_counts_as_its_number_and_is_flagged_from_its_first_day():
    result = totals([entry("a", 5, day(20)), entry("b", 40, day(24), day(25), "approx")])
    assert cumulative(result)[-1] == Interval(45, 45)
    assert [d.approx for d in result.days] == [False] * 4 + [True, True]
    assert result.approx


# Rule 2: one event, many reports.


def test_two_reports_of_one_event_are_counted_once_and_corroborate():
    result = totals(
        [
            entry("a", 50, day(24), day(27), sources=("reuters",)),
            entry("b", 50, day(24), day(27), sources=("aljazeera",)),
        ]
    )
    assert result.total == Interval(50, 50)
    assert result.conflicts == ()
    (event,) = result.events
    assert event.entries == ("a", "b")
    assert event.corroboration == 2


def test_compatible_reports_keep_the_more_precise_one():
    result = totals([entry("a", 10, day(28), qualifier="at_least"), entry("b", 12, day(28))])
    assert result.total == Interval(12, 12)
    assert result.conflicts == ()


def test_conflicting_reports_give_their_hull_and_a_conflict():
    result = totals(
        [entry("a", 12, day(28), sources=("s1",)), entry("b", 10, day(28), sources=("s2",))]
    )
    assert result.total == Interval(10, 12)
    (conflict,) = result.conflicts
    assert isinstance(conflict, Conflict)
    assert conflict.period == Period(day(28), day(28))
    assert conflict.entries == ("a", "b")
    assert [(r.entry, r.count, r.qualifier, r.sources) for r in conflict.reports] == [
        ("a", 12, "exact", ("s1",)),
        ("b", 10, "exact", ("s2",)),
    ]


def test_an_exact_report_takes_the_approx_flag_off_a_matching_approx_one():
    result = totals([entry("a", 50, day(24), qualifier="approx"), entry("b", 50, day(24))])
    assert result.total == Interval(50, 50)
    assert not result.approx


# Rule 3: roll-ups are checks, not additions.


def test_finer_entries_are_counted_and_the_coarse_one_checked():
    coarse = entry("coarse", 50, day(24), day(27))
    counts = {24: 13, 25: 13, 26: 13, 27: 11}
    finer = [entry(f"d{n}", c, day(n)) for n, c in counts.items()]
    result = totals([coarse, *finer])
    assert [c.low for c in cumulative(result)] == [13, 26, 39, 50]
    assert all(c.low == c.high for c in cumulative(result))
    (check,) = result.checks
    assert check == RollUp(
        key=coarse.key,
        period=coarse.period,
        coarse=("coarse",),
        finer=("d24", "d25", "d26", "d27"),
        expected=Interval(50, 50),
        finer_sum=Interval(50, 50),
        remainder=Interval(0, 0),
        uncovered_days=0,
        status="ok",
    )


def test_the_remainder_of_a_coarse_count_is_carried_over_the_uncovered_days():
    result = totals(
        [
            entry("coarse", 50, day(24), day(27)),
            entry("d24", 13, day(24)),
            entry("d25", 13, day(25)),
        ]
    )
    assert cumulative(result) == [
        Interval(13, 13),
        Interval(26, 26),
        Interval(26, 50),
        Interval(50, 50),
    ]
    assert daily(result)[2:] == [Interval(0, 24), Interval(0, 24)]
    (check,) = result.checks
    assert (check.status, check.remainder, check.uncovered_days) == ("partial", Interval(24, 24), 2)


def test_a_mismatch_is_a_finding_and_the_finer_entries_win():
    coarse = entry("coarse", 50, day(24), day(27))
    finer = [entry(f"d{n}", 13, day(n)) for n in (24, 25, 26, 27)]
    result = totals([coarse, *finer])
    assert result.total == Interval(52, 52)
    (check,) = result.checks
    assert check.status == "mismatch"
    assert check.finer_sum == Interval(52, 52)
    assert check.remainder is None


def test_a_mismatch_forces_the_uncovered_days_to_zero():
    result = totals([entry("coarse", 10, day(1), day(3)), entry("d1", 12, day(1))])
    assert result.checks[0].status == "mismatch"
    assert daily(result) == [Interval(12, 12), Interval(0, 0), Interval(0, 0)]
    assert result.total == Interval(12, 12)


def test_a_coarse_count_bounds_the_days_of_an_open_finer_one():
    result = totals([entry("coarse", 10, day(1), day(2)), entry("d1", 3, day(1), None, "at_least")])
    assert daily(result) == [Interval(3, 10), Interval(0, 7)]
    assert cumulative(result) == [Interval(3, 10), Interval(10, 10)]
    assert result.checks[0].status == "partial"
    assert result.checks[0].remainder == Interval(0, 7)


def test_roll_ups_nest():
    result = totals(
        [
            entry("week", 20, day(1), day(7)),
            entry("first-half", 12, day(1), day(3), "at_most"),
            entry("d1", 5, day(1)),
        ]
    )
    assert [c.status for c in result.checks] == ["partial", "partial"]
    assert cumulative(result)[0] == Interval(5, 5)
    assert cumulative(result)[2] == Interval(5, 12)
    assert cumulative(result)[3] == Interval(5, 20)
    assert result.total == Interval(20, 20)


def test_a_partial_overlap_is_reported_and_only_raises_highs():
    result = totals([entry("long", 10, day(1), day(3)), entry("cross", 4, day(3), day(4))])
    (overlap,) = result.checks
    assert isinstance(overlap, Overlap)
    assert (overlap.entries, overlap.overlaps) == (("cross",), ("long",))
    lows_and_highs = [(c.low, c.high) for c in cumulative(result)]
    assert lows_and_highs == [(0, 10), (0, 10), (10, 14), (10, 14)]
    assert daily(result)[3] == Interval(0, 4)


# Rule 4: filtering and range.


def test_days_run_without_gaps_between_entries():
    result = totals([entry("a", 3, day(1)), entry("b", 4, day(4))])
    assert [d.date for d in result.days] == [day(1), day(2), day(3), day(4)]
    assert daily(result) == [Interval(3, 3), Interval(0, 0), Interval(0, 0), Interval(4, 4)]
    assert [d.entries for d in result.days] == [("a",), (), (), ("b",)]


def test_a_filter_picks_one_part_of_the_key_and_sums_over_the_rest():
    ledger = [
        entry("thai", 10, day(24), nationality="Thai", framework="parallel_deal"),
        entry("women", 13, day(24)),
        entry("prisoners", 39, day(24), population="detainees", party="Israel"),
    ]
    assert totals(ledger, population="hostages").total == Interval(23, 23)
    assert totals(ledger, nationality="Thai").total == Interval(10, 10)
    assert totals(ledger, framework="truce_deal").total == Interval(52, 52)
    assert totals(ledger, party="Israel", kind="released").total == Interval(39, 39)


def test_reports_of_different_keys_are_separate_events_and_add_up():
    ledger = [entry("a", 10, day(24), nationality="Thai"), entry("b", 10, day(24))]
    result = totals(ledger)
    assert result.total == Interval(20, 20)
    assert result.conflicts == ()
    assert len(result.events) == 2


def test_clipping_the_days_never_changes_a_cumulative_figure():
    ledger = [entry("a", 3, day(1)), entry("b", 50, day(2), day(5))]
    full = totals(ledger)
    clipped = totals(ledger, start=day(3), end=day(4))
    assert clipped.days == full.days[2:4]
    assert clipped.total == full.days[3].cumulative
    assert totals(ledger, end=dt.date(2023, 10, 1)).total == Interval(0, 0)
    assert totals(ledger, start=day(20)).total == full.total


def test_nothing_matching_gives_an_empty_zero_total():
    result = totals([entry("a", 3, day(1))], party="nobody")
    assert result.days == ()
    assert result.total == Interval(0, 0)


def test_totals_are_json_friendly():
    result = totals(
        [
            entry("a", 50, day(24), day(27)),
            entry("b", 13, day(24)),
            entry("c", 9, day(24)),
            entry("x", 5, day(27), day(28)),
        ]
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["total"] == {"low": 50, "high": 55}
    assert data["days"][0]["date"] == "2023-11-24"
    assert {c["check"] for c in data["conflicts"] + data["checks"]} == {
        "conflict",
        "roll_up",
        "overlap",
    }
    assert (
        data["conflicts"][0]["key"]
        == Key("hostages", "released", "Hamas", None, "truce_deal")._asdict()
    )
    assert data["events"][0]["corroboration"] == 1
