"""Totals, the rules of DESIGN.md ("What the totals mean") one at a time, on small ledgers
written out in the test."""

from __future__ import annotations

import datetime as dt
import json

from ledger.records import Entry, Evidence, Period
from ledger.scope import NOT_NAMED
from ledger.totals import Interval, totals

NOV = 11
TRUCE = "exc_truce"
TRUCE_DAYS = {TRUCE: Period(dt.date(2023, 11, 24), dt.date(2023, 11, 30))}


def day(n: int, month: int = NOV) -> dt.date:
    return dt.date(2023, month, n)


def entry(
    id: str,
    count: int,
    start: dt.date,
    end: dt.date | None = None,
    qualifier: str = "exact",
    *,
    sources: tuple[str, ...] = ("src_a",),
    kind: str | tuple[str, ...] = "released",
    population: str = "hostages",
    party: str | None = None,
    nationality: str | tuple[str, ...] | None = None,
    framework: str | None = None,
    exchange: str | None = None,
    batch: str | tuple[str, ...] | None = None,
    count_high: int | None = None,
) -> Entry:
    return Entry(
        id=id,
        kind=(kind,) if isinstance(kind, str) else kind,
        population=population,
        count=count,
        qualifier=qualifier,
        count_high=count_high,
        period=Period(start, end or start),
        party=party,
        nationality=(nationality,) if isinstance(nationality, str) else nationality,
        framework=framework,
        exchange=exchange,
        batch=(batch,) if isinstance(batch, str) else batch,
        evidence=tuple(Evidence(s, 0, f"{count}", 0, 2) for s in sources),
    )


def cumulative(result) -> list[tuple[int, int | None]]:
    return [(d.cumulative.low, d.cumulative.high) for d in result.days]


def daily(result) -> list[tuple[int, int | None]]:
    return [(d.daily.low, d.daily.high) for d in result.days]


def released(entries, **question):
    return totals(entries, exchanges=TRUCE_DAYS, kind="released", **question)


# Rule 1: exact intervals, never a count spread over days.


def test_a_period_count_is_known_only_at_its_end_and_never_spread():
    result = released([entry("a", 50, day(24), day(27))])
    assert [d.date for d in result.days] == [day(24), day(25), day(26), day(27)]
    assert cumulative(result) == [(0, 50)] * 3 + [(50, 50)]
    assert daily(result) == [(0, 50)] * 4
    assert result.total == Interval(50, 50)


def test_at_least_leaves_high_open_and_at_most_never_raises_low():
    assert released([entry("a", 10, day(28), day(29), "at_least")]).total == Interval(10, None)
    assert released([entry("a", 7, day(28), qualifier="at_most")]).total == Interval(0, 7)


def test_a_reported_range_is_its_interval():
    result = released([entry("a", 30, day(24), qualifier="between", count_high=40)])
    assert result.total == Interval(30, 40)


def test_approx_counts_as_its_number_and_is_flagged_from_its_first_day():
    result = released([entry("a", 5, day(20)), entry("b", 40, day(24), day(25), "approx")])
    assert cumulative(result)[-1] == (45, 45)
    assert [d.approx for d in result.days] == [False] * 4 + [True, True]
    assert result.approx and [c.entry for c in result.checks] == ["b"]


# Rule 2: aggregates and breakdowns, running totals and daily counts, are one release.


def test_an_aggregate_and_its_breakdown_on_one_day_count_once():
    ledger = [
        entry("all", 24, day(24)),
        entry("il", 13, day(24), nationality="Israeli"),
        entry("th", 10, day(24), nationality="Thai"),
        entry("ph", 1, day(24), nationality="Filipino"),
    ]
    assert released(ledger).total == Interval(24, 24)
    assert released(ledger, nationality="Thai").total == Interval(10, 10)
    # The breakdown accounts for all 24: no one is left of a nationality no report names.
    assert released(ledger, nationality=NOT_NAMED).total == Interval(0, 0)


def test_the_unnamed_rest_of_an_aggregate_is_an_implied_count():
    ledger = [entry("all", 24, day(24)), entry("il", 13, day(24), nationality="Israeli")]
    result = released(ledger)
    assert result.total == Interval(24, 24)
    (rest,) = result.implied
    assert (rest.reason, rest.entries, rest.less) == ("rest", ("all",), ("il",))
    assert rest.interval == Interval(11, 11) and rest.period == Period(day(24), day(24))
    assert rest.id in result.days[0].findings
    assert released(ledger, nationality=NOT_NAMED).total == Interval(11, 11)


def test_a_breakdown_with_no_aggregate_is_summed():
    ledger = [entry("il", 13, day(24), nationality="Israeli"), entry("th", 10, day(24),
              nationality="Thai")]  # fmt: skip
    assert released(ledger).total == Interval(23, 23)


def test_a_running_total_bounds_the_days_before_it_and_its_remainder_is_implied():
    daily_counts = [("d24", 24, 24), ("d25", 17, 25), ("d26", 13, 26)]
    ledger = [entry(i, n, day(d), exchange=TRUCE) for i, n, d in daily_counts]
    ledger.append(entry("so_far", 58, day(24), day(27), exchange=TRUCE))
    result = released(ledger)
    assert cumulative(result) == [(24, 24), (41, 41), (54, 54), (58, 58)]
    (rest,) = [f for f in result.implied if f.reason == "rest"]
    assert rest.entries == ("so_far",) and rest.less == ("d24", "d25", "d26")
    assert rest.interval == Interval(4, 4) and rest.period == Period(day(27), day(27))


def test_a_daily_count_refines_a_period_count():
    result = released([entry("four_days", 50, day(24), day(27)), entry("first", 24, day(24))])
    assert cumulative(result) == [(24, 24), (24, 50), (24, 50), (50, 50)]


def test_a_running_total_may_run_from_its_exchanges_first_day():
    ledger = [entry("so_far", 105, day(24), day(30), exchange=TRUCE),
              entry("d24", 24, day(24), exchange=TRUCE)]  # fmt: skip
    assert cumulative(released(ledger))[0] == (24, 24)
    assert released(ledger).total == Interval(105, 105)


# Batches: reports of one batch are one handover; different batches are different people.


def test_an_overnight_round_is_open_until_the_next_day():
    ledger = [
        entry("fri", 39, day(24), exchange=TRUCE, batch="r1"),
        entry("sat_night", 39, day(25), day(26), exchange=TRUCE, batch="r2"),
        entry("sun", 39, day(26), exchange=TRUCE, batch="r3"),
    ]
    result = totals(ledger, exchanges=TRUCE_DAYS, population="hostages", kind="released")
    assert cumulative(result) == [(39, 39), (39, 78), (117, 117)]
    (open_round,) = result.implied
    assert open_round.reason == "undated" and open_round.entries == ("sat_night",)


def test_a_total_over_two_days_does_not_contain_a_batch_of_another_round():
    # Without batches, 39 over 25..26 and 39 on the 26th read as the same 39 people.
    unbatched = [entry("sat_night", 39, day(25), day(26)), entry("sun", 39, day(26))]
    assert released(unbatched).total == Interval(39, 39)
    batched = [
        entry("sat_night", 39, day(25), day(26), exchange=TRUCE, batch="r2"),
        entry("sun", 39, day(26), exchange=TRUCE, batch="r3"),
    ]
    assert released(batched).total == Interval(78, 78)


def test_reports_of_one_batch_tell_of_the_same_people():
    ledger = [
        entry("a", 39, day(25), day(26), exchange=TRUCE, batch="r2"),
        entry("b", 39, day(26), exchange=TRUCE, batch="r2", sources=("src_b",)),
    ]
    result = released(ledger)
    assert result.total == Interval(39, 39)
    assert cumulative(result) == [(0, 0), (39, 39)]


def test_merged_rounds_cover_both_batches():
    ledger = [
        entry("both", 30, day(27), exchange=TRUCE, batch=("r4", "r5")),
        entry("r4", 12, day(27), exchange=TRUCE, batch="r4"),
    ]
    assert released(ledger).total == Interval(30, 30)
    assert released(ledger, exchange=TRUCE, batch="r5").total == Interval(18, 18)


def test_a_batch_moved_only_on_the_days_its_reports_give():
    ledger = [
        entry("so_far", 50, day(24), day(27), exchange=TRUCE),
        entry("r1", 10, day(24), exchange=TRUCE, batch="r1"),
    ]
    result = released(ledger, exchange=TRUCE, batch="r1")
    assert cumulative(result) == [(10, 10)] * 4


def test_an_exchanges_people_moved_only_on_its_days():
    # Released before the truce began: none of them can be the truce's.
    ledger = [entry("before", 4, day(20), day(23))]
    assert released(ledger, exchange=TRUCE).total == Interval(0, 0)
    assert released(ledger).total == Interval(4, 4)


# Scope: what a report does not state covers every value.


def test_a_report_that_does_not_state_the_deal_may_be_of_any():
    ledger = [
        entry("deal", 13, day(24), framework="truce_deal"),
        entry("unstated", 10, day(25)),
    ]
    assert released(ledger, framework="truce_deal").total == Interval(13, 23)
    assert released(ledger, framework="parallel_deal").total == Interval(0, 10)
    assert released(ledger).total == Interval(23, 23)


def test_dual_nationals_count_under_each_nationality():
    ledger = [
        entry("il", 13, day(26), nationality="Israeli", framework="truce_deal"),
        entry("ru_il", 1, day(26), nationality=("Russian", "Israeli"), framework="parallel_deal"),
    ]
    assert released(ledger, nationality="Israeli").total == Interval(14, 14)
    # The 13 Israelis may include Russian-Israelis: a report names that group.
    assert released(ledger, nationality="Russian").total == Interval(1, 14)
    assert released(ledger).total == Interval(14, 14)


def test_israelis_include_a_named_dual_national():
    ledger = [entry("il", 13, day(24), nationality="Israeli"),
              entry("us_il", 1, day(24), nationality=("American", "Israeli"))]  # fmt: skip
    assert released(ledger).total == Interval(13, 13)
    assert released(ledger, nationality="American").total == Interval(1, 1)


def test_a_figure_with_bodies_covers_both_kinds():
    ledger = [
        entry("all", 33, day(19, 1), kind=("released", "remains_returned")),
        entry("bodies", 8, day(19, 1), kind="remains_returned"),
    ]
    assert totals(ledger, kind="released").total == Interval(25, 25)
    both = totals(ledger, kind=("released", "remains_returned"))
    assert both.total == Interval(33, 33)


def test_a_party_no_report_names_may_hold_what_an_unstated_report_counts():
    ledger = [entry("hamas", 20, day(24), party="Hamas"), entry("any", 24, day(24))]
    assert released(ledger, party="Hamas").total == Interval(20, 20)
    assert released(ledger, party="Islamic Jihad").total == Interval(0, 4)
    assert released(ledger).total == Interval(24, 24)


# Rule 3: reports of one event count once.


def test_two_reports_of_one_event_are_counted_once_and_corroborate():
    ledger = [entry("a", 50, day(24), day(27)), entry("b", 50, day(24), day(27),
              sources=("src_b",))]  # fmt: skip
    result = released(ledger)
    assert result.total == Interval(50, 50)
    (event,) = result.events
    assert event.entries == ("a", "b") and event.corroboration == 2


# Rule 4: conflicts widen, are named, and no report wins for its form.


def test_two_reports_of_one_event_that_disagree_give_the_range_between_them():
    ledger = [entry("a", 14, day(24), sources=("src_a",)),
              entry("b", 13, day(24), sources=("src_b",))]  # fmt: skip
    result = released(ledger)
    assert result.total == Interval(13, 14)
    (conflict,) = result.conflicts
    assert conflict.entries == ("a", "b")
    assert conflict.readings == (("a",), ("b",)) and conflict.set_aside == 1
    implied = {r.entry: r.implied for r in conflict.reports}
    assert implied == {"a": Interval(13, 13), "b": Interval(14, 14)}
    assert conflict.id in result.days[0].findings


def test_a_single_wrong_report_widens_the_interval_and_never_decides_it():
    # A finer report is no better: "33 Israeli hostages" against "30 alive".
    ledger = [
        entry("alive", 30, day(19, 1)),
        entry("wrong", 33, day(19, 1), nationality="Israeli", sources=("src_w",)),
    ]
    result = released(ledger)
    assert result.total == Interval(30, 33)
    assert result.conflicts[0].readings == (("alive",), ("wrong",))


def test_three_reports_against_one_set_the_one_aside():
    ledger = [
        entry("a", 14, day(24), sources=("src_a",)),
        entry("b", 14, day(24), sources=("src_b",)),
        entry("c", 13, day(24), sources=("src_c",)),
    ]
    result = released(ledger)
    assert result.total == Interval(14, 14)
    assert result.conflicts[0].readings == (("c",),)


def test_a_running_total_that_cannot_hold_with_the_daily_counts_is_listed():
    ledger = [
        entry("thai_so_far", 20, day(24), day(29), nationality="Thai", sources=("src_t",)),
        entry("t24", 10, day(24), nationality="Thai"),
        entry("t25", 1, day(25), nationality="Thai"),
        entry("t26", 3, day(26), nationality="Thai"),
        entry("t27", 3, day(27), nationality="Thai"),
        entry("t28", 2, day(28), nationality="Thai"),
    ]
    with_day = [*ledger, entry("t29", 0, day(29), nationality="Thai")]
    assert released(ledger, nationality="Thai").total == Interval(20, 20)
    result = released(with_day, nationality="Thai")
    (conflict,) = result.conflicts
    assert "thai_so_far" in conflict.entries
    assert result.total == Interval(19, 20)


def test_the_answer_is_the_same_whatever_order_entries_arrive_in():
    ledger = [entry("a", 14, day(24)), entry("b", 13, day(24)), entry("c", 24, day(24), day(25))]
    assert released(ledger) == released(list(reversed(ledger)))


# The shape of the answer.


def test_days_run_without_gaps_between_entries():
    result = released([entry("a", 1, day(20)), entry("b", 2, day(23))])
    assert [d.date for d in result.days] == [day(20), day(21), day(22), day(23)]
    assert cumulative(result) == [(1, 1), (1, 1), (1, 1), (3, 3)]


def test_clipping_the_days_never_changes_a_cumulative_figure():
    ledger = [entry("a", 5, day(20)), entry("b", 7, day(24))]
    clipped = totals(ledger, kind="released", start=day(23), end=day(24))
    assert cumulative(clipped) == [(5, 5), (12, 12)]


def test_nothing_matching_gives_an_empty_zero_total():
    result = released([entry("a", 5, day(20))], population="detainees")
    assert result.days == () and result.total == Interval(0, 0)


def test_totals_are_json_friendly():
    ledger = [entry("a", 14, day(24)), entry("b", 13, day(24)), entry("c", 50, day(24), day(27))]
    plain = released(ledger).to_dict()
    json.dumps(plain)
    assert plain["days"][0]["date"] == "2023-11-24"
    assert plain["conflicts"][0]["check"] == "conflict"
    assert plain["events"][0]["scope"]["kind"] == "released"
