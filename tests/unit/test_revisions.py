"""Revisions: the ledger as it stood at a moment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from ledger.records import Entry, Period, Term
from ledger.revisions import current

UTC = dt.UTC
DAY = Period(dt.date(2023, 11, 24), dt.date(2023, 11, 24))


def at(hour: int) -> dt.datetime:
    return dt.datetime(2023, 11, 28, hour, tzinfo=UTC)


def revision(id: str, n: int, hour: int, count: int = 13, retracted: bool = False) -> Entry:
    return Entry(
        id=id,
        kind="released",
        population="hostages",
        count=count,
        period=DAY,
        party="Hamas",
        revision=n,
        recorded_at=at(hour),
        retracted=retracted,
    )


HISTORY = [
    revision("a", 1, 9, count=12),
    revision("a", 2, 11, count=13),
    revision("b", 1, 10),
    revision("b", 2, 12, retracted=True),
    revision("c", 1, 13),
]


def test_the_latest_revision_of_each_id_without_retractions():
    assert [(e.id, e.revision) for e in current(HISTORY)] == [("a", 2), ("c", 1)]


def test_as_of_an_earlier_moment():
    assert [(e.id, e.revision) for e in current(HISTORY, at(10))] == [("a", 1), ("b", 1)]
    assert [(e.id, e.revision) for e in current(HISTORY, at(11))] == [("a", 2), ("b", 1)]
    assert current(HISTORY, at(8)) == []


def test_a_retraction_hides_the_entry_only_from_its_moment_on():
    assert [e.id for e in current(HISTORY, at(12))] == ["a"]


def test_the_order_of_the_input_never_matters():
    for order in itertools.permutations(HISTORY):
        assert current(order) == current(HISTORY)
        assert current(order, at(11)) == current(HISTORY, at(11))


def test_terms_too():
    term = Term(
        id="t",
        population="hostages",
        kind="released",
        party="Hamas",
        count=50,
        period=DAY,
        recorded_at=at(9),
    )
    revised = dataclasses.replace(term, count=60, revision=2, recorded_at=at(10))
    assert current([revised, term]) == [revised]
    assert current([revised, term], at(9)) == [term]
