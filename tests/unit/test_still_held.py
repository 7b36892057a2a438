"""Still held: captured - released - rescued - found_dead - remains_returned, per party, as
an interval."""

from __future__ import annotations

import datetime as dt

from ledger.counting import analyse
from ledger.records import Entry, Evidence, Period
from ledger.still_held import StillHeld
from ledger.still_held import still_held as held
from ledger.totals import Interval, statements

OCT_7 = dt.date(2023, 10, 7)
BEFORE_FRIDAY = dt.date(2023, 11, 23)
FRIDAY = dt.date(2023, 11, 24)
TUESDAY = dt.date(2023, 11, 28)


def entry(
    id: str,
    kind: str,
    count: int,
    start: dt.date,
    end: dt.date | None = None,
    *,
    party: str = "Hamas",
    nationality: str | None = None,
    framework: str = "other",
    qualifier: str = "exact",
    population: str = "hostages",
) -> Entry:
    return Entry(
        id=id,
        kind=(kind,),
        population=population,
        count=count,
        qualifier=qualifier,
        period=Period(start, end or start),
        party=party,
        nationality=None if nationality is None else tuple(nationality.split("+")),
        framework=framework,
        evidence=(Evidence("reuters", 6, str(count), 0, 3),),
    )


def still_held(entries: list[Entry], **filters: str) -> tuple[StillHeld, ...]:
    return held(analyse(statements(entries)), **filters)


SEED = [
    entry("captured", "captured", 240, OCT_7),
    entry(
        "first-four-days",
        "released",
        50,
        dt.date(2023, 11, 24),
        dt.date(2023, 11, 27),
        framework="truce_deal",
    ),
    entry("thai", "released", 17, FRIDAY, TUESDAY, nationality="Thai", framework="parallel_deal"),
    entry("filipino", "released", 1, FRIDAY, TUESDAY, nationality="Filipino"),
    entry("russian", "released", 1, FRIDAY, TUESDAY, nationality="Russian+Israeli"),
    entry("before-truce", "released", 4, OCT_7, BEFORE_FRIDAY),
    entry("rescued", "rescued", 1, OCT_7, BEFORE_FRIDAY),
    entry("found-dead", "found_dead", 2, OCT_7, BEFORE_FRIDAY),
]


def test_seed_still_held_is_164_on_the_28th_and_233_to_240_on_october_7():
    (hamas,) = still_held(SEED)
    by_date = {d.date: d for d in hamas.days}
    assert by_date[TUESDAY].still_held == Interval(164, 164)
    assert by_date[OCT_7].still_held == Interval(233, 240)
    assert hamas.total == Interval(164, 164)
    assert hamas.findings == ()
    assert hamas.days[0].date == OCT_7
    assert hamas.days[-1].date == TUESDAY
    # Each day lists the entries whose period covers it.
    assert by_date[OCT_7].entries[0] == "before-truce"
    assert "captured" in by_date[OCT_7].entries
    assert by_date[TUESDAY].entries == ("filipino", "russian", "thai")


def test_captured_before_anyone_leaves_is_carried_forward():
    (hamas,) = still_held([entry("c", "captured", 10, OCT_7), entry("r", "released", 3, TUESDAY)])
    assert hamas.days[1].captured == Interval(10, 10)
    assert hamas.days[1].still_held == Interval(10, 10)
    assert hamas.total == Interval(7, 7)


def test_an_open_capture_leaves_high_open_and_an_open_release_low_zero():
    (hamas,) = still_held(
        [
            entry("c", "captured", 200, OCT_7, qualifier="at_least"),
            entry("r", "released", 5, TUESDAY, qualifier="at_least"),
        ]
    )
    assert hamas.total == Interval(0, None)


def test_more_out_than_captured_is_a_finding_and_high_stops_at_zero():
    (hamas,) = still_held([entry("c", "captured", 3, OCT_7), entry("r", "released", 5, TUESDAY)])
    assert hamas.total == Interval(0, 0)
    (finding,) = hamas.findings
    assert (finding.party, finding.date) == ("Hamas", TUESDAY)
    assert finding.to_dict()["check"] == "more_out_than_captured"


def test_each_party_on_its_own_sorted_and_other_populations_left_out():
    ledger = [
        entry("h", "captured", 240, OCT_7),
        entry("pij", "captured", 30, OCT_7, party="PIJ"),
        entry("det", "released", 150, TUESDAY, party="Israel", population="detainees"),
    ]
    # Every party together first, then each on its own.
    assert [s.party for s in still_held(ledger)] == [None, "Hamas", "PIJ"]
    assert still_held(ledger)[0].total == Interval(270, 270)
    (pij,) = still_held(ledger, party="PIJ")
    assert pij.total == Interval(30, 30)
    assert still_held(ledger, party="Israel", population="detainees")[0].total == Interval(0, 0)
    (nobody,) = still_held(ledger, party="nobody")
    assert nobody.days == ()


def test_remains_returned_are_no_longer_held():
    (hamas,) = still_held(
        [entry("c", "captured", 10, OCT_7), entry("bodies", "remains_returned", 2, TUESDAY)]
    )
    assert hamas.total == Interval(8, 8)


def test_a_release_that_does_not_name_its_party_may_be_any_partys():
    ledger = [
        entry("h", "captured", 240, OCT_7),
        entry("pij", "captured", 30, OCT_7, party="PIJ"),
        Entry(
            id="anyone",
            kind=("released",),
            population="hostages",
            count=10,
            period=Period(TUESDAY, TUESDAY),
            evidence=(Evidence("reuters", 6, "10", 0, 2),),
        ),
    ]
    together, hamas, pij = still_held(ledger)
    assert together.total == Interval(260, 260)
    assert hamas.total == Interval(230, 240)
    assert pij.total == Interval(20, 30)
