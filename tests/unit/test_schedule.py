"""The schedule: per exchange, the terms' expected cumulative beside the reported one."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.counting import analyse
from ledger.errors import InvalidInput
from ledger.records import Entry, Evidence, Exchange, Period, Term
from ledger.schedule import Schedule, status
from ledger.schedule import schedule as scheduled
from ledger.totals import Interval, statements

HOSTAGES = {"population": "hostages", "kind": "released", "party": "Hamas"}
TRUCE = Exchange(
    "exc_truce", "truce", ("Israel", "Hamas"), dt.date(2023, 11, 24), dt.date(2023, 11, 30)
)


def day(n: int) -> dt.date:
    return dt.date(2023, 11, n)


def term(
    id: str, count: int, start: int, end: int, per: str = "period", qualifier: str = "exact"
) -> Term:
    return Term(
        id=id,
        count=count,
        period=Period(day(start), day(end)),
        per=per,
        qualifier=qualifier,
        framework="truce_deal",
        exchange=TRUCE.id,
        evidence=(Evidence("reuters", 10, str(count), 0, 2),),
        **HOSTAGES,
    )


def entry(
    id: str, count: int, start: int, end: int | None = None, framework: str = "truce_deal"
) -> Entry:
    return Entry(
        id=id,
        count=count,
        period=Period(day(start), day(end or start)),
        framework=framework,
        exchange=TRUCE.id,
        evidence=(Evidence("aljazeera", 3, str(count), 0, 2),),
        population="hostages",
        kind=("released",),
        party="Hamas",
    )


def schedule(terms: list[Term], entries: list[Entry], **key: str) -> Schedule:
    analysis = analyse(statements(entries), {TRUCE.id: TRUCE.span})
    return scheduled(terms, analysis, [TRUCE], **key)


SEED_TERMS = [
    term("four-days", 50, 24, 27),
    term("extension-at-least", 10, 28, 29, per="day", qualifier="at_least"),
    term("extension-daily", 10, 28, 29, per="day"),
    term("extension-total", 20, 28, 29),
]


def test_seed_terms_expect_50_then_10_a_day():
    result = schedule(SEED_TERMS, [], **HOSTAGES)
    expected = {d.date: d.expected for d in result.days}
    assert expected == {
        day(24): Interval(0, 50),
        day(25): Interval(0, 50),
        day(26): Interval(0, 50),
        day(27): Interval(50, 50),
        day(28): Interval(60, 60),
        day(29): Interval(70, 70),
    }
    # Restating terms are one event, and the two-day total agrees with the days'.
    assert result.expected.conflicts == ()
    assert result.exchange == TRUCE.id
    assert result.terms == tuple(sorted(t.id for t in SEED_TERMS))


def test_a_per_day_term_is_one_statement_per_day():
    (first, second) = term("daily", 10, 28, 29, per="day").statements()
    assert (first.period, second.period) == (Period(day(28), day(28)), Period(day(29), day(29)))
    assert first.low == second.low == 10


def test_terms_of_several_exchanges_need_one_named():
    other = Exchange("exc_later", "later", ("Israel", "Hamas"), dt.date(2025, 1, 19))
    later = Term(
        id="later", count=33, period=Period(dt.date(2025, 1, 19), dt.date(2025, 3, 1)),
        exchange=other.id, evidence=(Evidence("x", 0, "33", 0, 2),), **HOSTAGES,
    )  # fmt: skip
    terms = [*SEED_TERMS, later]
    analysis = analyse([], {})
    with pytest.raises(InvalidInput) as refused:
        scheduled(terms, analysis, [TRUCE, other], **HOSTAGES)
    assert "exchange" in refused.value.errors
    one = scheduled(terms, analysis, [TRUCE, other], exchange=other.id, **HOSTAGES)
    assert one.terms == ("later",)


def test_reported_beside_expected_day_by_day():
    reported = [entry("first-four", 50, 24, 27), entry("day5", 12, 28)]
    result = schedule(SEED_TERMS, reported, **HOSTAGES)
    by_date = {d.date: d for d in result.days}
    assert by_date[day(27)].reported == Interval(50, 50)
    assert by_date[day(27)].status == "met"
    assert by_date[day(28)].status == "ahead"
    # Nothing reported after the 28th yet: the comparison is unknown, not behind.
    assert by_date[day(29)].reported is None
    assert by_date[day(29)].status == "unknown"
    # An interval that straddles the expected one says nothing for sure.
    assert by_date[day(24)].status == "met"


def test_behind_when_even_the_high_is_short():
    result = schedule([term("four-days", 50, 24, 27)], [entry("few", 30, 24, 27)], **HOSTAGES)
    assert result.days[-1].status == "behind"
    # On the first day both sides may be anything up to their count: within what was expected.
    assert result.days[0].status == "met"


def test_days_span_both_sides():
    result = schedule([term("t", 10, 28, 28)], [entry("e", 5, 25)], **HOSTAGES)
    assert result.days[0].date == day(25)
    assert result.days[-1].date == day(28)
    assert result.days[0].expected is None
    assert result.days[0].status == "unknown"


def test_framework_filters_both_sides_when_given():
    other = entry("other", 5, 27, framework="other")
    result = schedule(
        SEED_TERMS, [entry("e", 50, 24, 27), other], framework="truce_deal", **HOSTAGES
    )
    assert result.reported.total == Interval(50, 50)
    # Without a framework, the terms' own frameworks are reported: a release under another
    # arrangement is no progress against them.
    assert schedule(SEED_TERMS, [other], **HOSTAGES).reported.total == Interval(0, 0)
    both = schedule(SEED_TERMS, [entry("e", 50, 24, 27), other], **HOSTAGES)
    assert both.reported.total == Interval(50, 50)


def test_status_rules():
    assert status(Interval(10, 10), Interval(10, 10)) == "met"
    assert status(Interval(10, None), Interval(12, None)) == "met"
    assert status(Interval(10, 10), Interval(10, None)) == "unknown"
    assert status(Interval(10, 10), Interval(3, 9)) == "behind"
    assert status(Interval(10, 10), Interval(11, None)) == "ahead"
    assert status(Interval(0, 50), Interval(0, 50)) == "met"
    assert status(Interval(10, 20), Interval(5, 15)) == "unknown"
    assert status(None, Interval(1, 1)) == "unknown"
    assert status(Interval(1, 1), None) == "unknown"


def test_nothing_to_compare():
    result = schedule([], [], **HOSTAGES)
    assert result.days == ()
