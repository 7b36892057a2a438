"""Properties of the counting engine against an independent oracle (tests/unit/counting_oracle).

Ledgers are generated from a hidden truth: whole-number counts in a few groups on a few days,
reported as aggregates and breakdowns, running totals, batches and mixed kinds, with every
qualifier. For every day and several questions, the engine's daily and cumulative low/high
must equal the oracle's exact minimum and maximum.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from ledger.counting import analyse
from ledger.counting.model import Statement
from ledger.counting.nested import Infeasible
from ledger.counting.readings import Oracle as EngineOracle
from ledger.counting.solver import Solver
from ledger.records import Period
from ledger.scope import FULL, NONE, NOT_NAMED, PARTIAL, Question, Scope
from ledger.totals import Interval, answer
from tests.unit.counting_oracle import DAYS, EXCHANGE_DAYS, FIRST, Oracle, asked, universe

INF = math.inf
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = st.sampled_from([("released",), ("released",), ("remains_returned",),
                         ("released", "remains_returned")])  # fmt: skip
NATIONALITIES = st.sampled_from([None, None, ("A",), ("B",), ("A", "B")])
FRAMEWORKS = st.sampled_from([None, None, "truce_deal", "parallel_deal"])
HANDOVERS = st.sampled_from(
    [(None, None), (None, None), ("E", None), ("E", ("b1",)), ("E", ("b2",)), ("E", ("b1", "b2"))]
)
QUESTIONS = [
    Question(population="hostages", kind=("released",)),
    Question(population="hostages", kind=("released", "remains_returned")),
    Question(population="hostages", kind=("released",), nationality="A"),
    Question(population="hostages", kind=("released",), nationality="B"),
    Question(population="hostages", kind=("released",), nationality=NOT_NAMED),
    Question(population="hostages", kind=("released",), party="P"),
    Question(population="hostages", kind=("released",), party="R"),
    Question(population="hostages", kind=("remains_returned",)),
    Question(population="hostages", kind=("released",), framework="truce_deal"),
    Question(population="hostages", kind=("released",), exchange="E"),
    Question(population="hostages", kind=("released",), exchange="E", batch="b1"),
]


def day(n: int) -> dt.date:
    return FIRST + dt.timedelta(days=n)


@st.composite
def skeletons(draw: st.DrawFn) -> list[tuple[Scope, Period]]:
    """What each report is about (its scope and days), before any count: some new, some a
    breakdown of an earlier one (a narrower group, or some of its days), as reporting goes."""
    found: list[tuple[Scope, Period]] = []
    for _ in range(draw(st.integers(1, 6))):
        if found and draw(st.booleans()):
            found.append(draw(narrower(draw(st.sampled_from(found)))))
            continue
        exchange, batch = draw(HANDOVERS)
        scope = Scope(
            "hostages",
            draw(KINDS),
            draw(st.sampled_from([None, None, "P"])),
            draw(NATIONALITIES),
            draw(FRAMEWORKS),
            exchange,
            batch,
        )
        start = draw(st.integers(0, DAYS - 1))
        length = draw(st.sampled_from([1, 1, 2, 3, DAYS]))
        found.append((scope, Period(day(start), day(min(DAYS - 1, start + length - 1)))))
    return found


@st.composite
def narrower(draw: st.DrawFn, given: tuple[Scope, Period]) -> tuple[Scope, Period]:
    """A report inside another: one part of its scope stated more narrowly, or fewer days."""
    scope, period = given
    part = draw(st.sampled_from(["days", "party", "nationality", "framework", "batch", "kind"]))
    if part == "days":
        start = draw(st.integers(0, period.days - 1))
        end = draw(st.integers(start, period.days - 1))
        one = dt.timedelta(days=1)
        return scope, Period(period.start + start * one, period.start + end * one)
    if part == "party" and scope.party is None:
        return scope._replace(party="P"), period
    if part == "nationality" and scope.nationality is None:
        return scope._replace(nationality=draw(st.sampled_from([("A",), ("B",)]))), period
    if part == "framework" and scope.framework is None:
        return scope._replace(framework=draw(st.sampled_from(["truce_deal", "other"]))), period
    if part == "batch" and scope.batch is None:
        return scope._replace(exchange="E", batch=draw(st.sampled_from([("b1",), ("b2",)]))), period
    if part == "kind" and len(scope.kind) > 1:
        return scope._replace(kind=(draw(st.sampled_from(scope.kind)),)), period
    return scope, period


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[Statement], dict[int, int]]:
    """Statements that a hidden truth satisfies, and the truth (cell index: count)."""
    skeleton = draw(skeletons())
    blank = [Statement(f"ent_{i:02d}", scope, period, 0, 0) for i, (scope, period) in
             enumerate(skeleton)]  # fmt: skip
    cells = universe(blank)
    truth: dict[int, int] = {}
    if cells:
        for _ in range(draw(st.integers(0, 5))):
            truth[draw(st.integers(0, len(cells) - 1))] = draw(st.integers(1, 4))
    found = []
    for s in blank:
        total = sum(n for c, n in truth.items() if _covers(s, cells[c]))
        found.append(draw(reported(s, total)))
    return found, truth


@st.composite
def reported(draw: st.DrawFn, s: Statement, total: int) -> Statement:
    """A statement of `total` with a qualifier a report might use, true of it."""
    qualifier = draw(
        st.sampled_from(["exact", "exact", "at_least", "at_most", "between", "approx"])
    )
    if qualifier == "at_least":
        low, high = draw(st.integers(0, total)), INF
    elif qualifier == "at_most":
        low, high = 0, draw(st.integers(total, total + 3))
    elif qualifier == "between":
        low, high = draw(st.integers(0, total)), draw(st.integers(total, total + 3))
    else:
        low = high = total
    return s._replace(low=low, high=high, approx=qualifier == "approx", qualifier=qualifier)


def _covers(s: Statement, cell: object) -> bool:
    from tests.unit.counting_oracle import covers

    return covers(s, cell)  # type: ignore[arg-type]


def expected(oracle: Oracle, question: Question, statements: list[Statement]) -> list[tuple]:
    """Per day: the oracle's daily and cumulative bounds."""
    wanted = [asked(question, cell, statements) for cell in oracle.cells]
    found = []
    for n in range(DAYS):
        today = [w and c.day == day(n) for w, c in zip(wanted, oracle.cells, strict=True)]
        by_then = [w and c.day <= day(n) for w, c in zip(wanted, oracle.cells, strict=True)]
        found.append((oracle.bounds(today), oracle.bounds(by_then)))
    return found


def engine_days(statements: list[Statement], question: Question) -> dict[dt.date, tuple]:
    result = answer(analyse(statements, {"E": EXCHANGE_DAYS}), question, None, None)
    return {d.date: (d.daily, d.cumulative) for d in result.days}, result  # type: ignore[return-value]


def _high(interval: Interval) -> float:
    return INF if interval.high is None else interval.high


def same(interval: Interval, bounds: tuple[float, float]) -> bool:
    return (interval.low, INF if interval.high is None else interval.high) == bounds


def check_against_oracle(statements: list[Statement], questions: list[Question]) -> None:
    note("\n".join(map(repr, statements)))
    for component in analyse(statements, {"E": EXCHANGE_DAYS}).components:
        size = "one row" if len(component.problem.rows) == 1 else "several rows"
        event(f"component of {size}: {'nested' if component.nested else 'solver'}")
        event(f"readings: {len(component.readings.readings or ())}")
    oracle = Oracle(statements)
    for question in questions:
        shown, result = engine_days(statements, question)
        for n, (daily, cumulative) in enumerate(expected(oracle, question, statements)):
            if day(n) in shown:
                got_daily, got_cumulative = shown[day(n)]
                assert same(got_daily, daily), (question, day(n), got_daily, daily)
                assert same(got_cumulative, cumulative), (question, day(n), got_cumulative,
                                                          cumulative)  # fmt: skip
            elif not shown or day(n) < min(shown):
                assert daily == (0, 0) and cumulative == (0, 0), (question, day(n), cumulative)
            else:
                assert daily == (0, 0), (question, day(n), daily)
                assert same(result.total, cumulative), (question, day(n), result.total)


@SETTINGS
@given(ledgers(), st.lists(st.sampled_from(QUESTIONS), min_size=2, max_size=3, unique=True))
def test_consistent_ledgers_give_the_oracles_exact_bounds(
    ledger: tuple[list[Statement], dict[int, int]], questions: list[Question]
) -> None:
    statements, _ = ledger
    note("\n".join(map(repr, statements)))
    check_against_oracle(statements, questions)
    assert not any(c.readings.clashes for c in analyse(statements, {"E": EXCHANGE_DAYS}).components)


@st.composite
def contradicted(draw: st.DrawFn) -> list[Statement]:
    """A consistent ledger and one report more that no truth meeting the rest satisfies."""
    statements, _ = draw(ledgers())
    target = draw(st.sampled_from(statements))
    bump = draw(st.sampled_from([-2, -1, 1, 2]))
    low = max(0, int(target.low) + bump) if target.high != INF else int(target.low) + 2
    wrong = target._replace(
        id="ent_wrong", low=low, high=low, qualifier="exact", approx=False,
        sources=frozenset({"src_wrong"}),
    )  # fmt: skip
    oracle = Oracle([*statements, wrong])
    from hypothesis import assume

    assume(len(oracle.readings[0]) == len(statements))  # one report set aside: it contradicts
    return [*statements, wrong]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(contradicted(), st.lists(st.sampled_from(QUESTIONS), min_size=1, max_size=2, unique=True))
def test_conflicts_span_every_reading_and_are_listed(
    statements: list[Statement], questions: list[Question]
) -> None:
    check_against_oracle(statements, questions)
    analysis = analyse(statements, {"E": EXCHANGE_DAYS})
    listed = {row.id for c in analysis.components for clash in c.readings.clashes
              for row in (c.problem.rows[i] for i in clash.rows)}  # fmt: skip
    assert "ent_wrong" in listed


@SETTINGS
@given(ledgers(), st.randoms(use_true_random=False))
def test_the_order_entries_arrive_in_changes_nothing(
    ledger: tuple[list[Statement], dict[int, int]], rng: random.Random
) -> None:
    statements, _ = ledger
    shuffled = list(statements)
    rng.shuffle(shuffled)
    for question in QUESTIONS[:4]:
        first = answer(analyse(statements, {"E": EXCHANGE_DAYS}), question, None, None)
        second = answer(analyse(shuffled, {"E": EXCHANGE_DAYS}), question, None, None)
        assert first == second


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(contradicted(), st.randoms(use_true_random=False))
def test_neither_arrival_order_nor_ids_change_a_figure_or_a_conflict(
    statements: list[Statement], rng: random.Random
) -> None:
    # The entries arrive in another order and under other ids (ids order rows within a
    # component, so this moves every row): the figures, and each conflict with its readings
    # and implied figures, are the same under the new names.
    names = [s.id for s in statements]
    renamed = dict(zip(names, rng.sample(names, len(names)), strict=True))
    moved = [s._replace(id=renamed[s.id]) for s in statements]
    rng.shuffle(moved)
    for question in QUESTIONS[:4]:
        first = answer(analyse(statements, {"E": EXCHANGE_DAYS}), question, None, None)
        second = answer(analyse(moved, {"E": EXCHANGE_DAYS}), question, None, None)
        assert [(d.date, d.daily, d.cumulative) for d in first.days] == [
            (d.date, d.daily, d.cumulative) for d in second.days
        ]
        assert sorted(_conflict(c, renamed) for c in first.conflicts) == sorted(
            _conflict(c, {n: n for n in names}) for c in second.conflicts
        )


def _conflict(conflict: Any, renamed: dict[str, str]) -> tuple[Any, ...]:
    """A conflict as its reports, readings and implied figures, under new names."""
    reports = sorted((renamed[r.entry], r.stated, r.implied) for r in conflict.reports)
    readings = sorted(sorted(renamed[i] for i in aside) for aside in conflict.readings)
    return tuple(reports), tuple(map(tuple, readings))


@SETTINGS
@given(ledgers(), st.data())
def test_a_true_report_never_widens_an_interval(
    ledger: tuple[list[Statement], dict[int, int]], data: st.DataObject
) -> None:
    statements, truth = ledger
    note("\n".join(map(repr, statements)))
    # Often a finer report of something already reported (a breakdown, a day of a period).
    if data.draw(st.booleans()):
        scope, period = data.draw(narrower((statements[0].scope, statements[0].period)))
    else:
        scope, period = data.draw(skeletons())[0]
    blank = Statement("ent_more", scope, period, 0, 0)
    cells = universe(statements)
    total = sum(n for c, n in truth.items() if _covers(blank, cells[c]))
    # Only a report that adds a constraint: one that names a new group (a dual nationality
    # no report named, a batch's new days) makes room for truths that were not possible.
    if set(universe([*statements, blank])) != set(cells):
        event("the new report names new groups or days: not checked")
        return
    event("the new report only adds a constraint: checked")
    more = data.draw(reported(blank, total))
    # Not the unnamed rest: which people it holds depends on what the reports name.
    for question in [q for q in QUESTIONS[:6] if q.nationality != NOT_NAMED]:
        before = answer(analyse(statements, {"E": EXCHANGE_DAYS}), question, None, None)
        after = answer(analyse([*statements, more], {"E": EXCHANGE_DAYS}), question, None, None)
        old = {d.date: d for d in before.days}
        note(repr(question))
        for d in after.days:
            if d.date in old:
                for new, was in ((d.daily, old[d.date].daily),
                                 (d.cumulative, old[d.date].cumulative)):  # fmt: skip
                    assert new.low >= was.low
                    assert _high(new) <= _high(was)


@SETTINGS
@given(ledgers(), st.data())
def test_the_nested_path_agrees_with_the_solver(
    ledger: tuple[list[Statement], dict[int, int]], data: st.DataObject
) -> None:
    statements, _ = ledger
    for component in analyse(statements, {"E": EXCHANGE_DAYS}).components:
        oracle = EngineOracle(component.problem)
        if not oracle.nested:
            continue
        solver = Solver(component.problem)
        width = len(component.problem.variables)
        for _ in range(3):
            asked_vars = data.draw(st.lists(st.sampled_from([NONE, PARTIAL, FULL]),
                                            min_size=width, max_size=width))  # fmt: skip
            try:
                nested = oracle.bounds(oracle.every, asked_vars)
            except Infeasible:
                assert not solver.feasible()
                continue
            assert nested == solver.bounds(asked_vars)


@pytest.mark.parametrize("ids", [("ent_a", "ent_b"), ("ent_b", "ent_a")])
def test_two_reports_of_one_figure_are_both_listed_in_its_conflict(ids: tuple[str, str]) -> None:
    # Two sources give the same figure for the living and the dead; a third gives more dead
    # than that figure allows. Either of the two clashes with it as the other does, so the
    # conflict names both, whichever the search met first (found by the property above).
    days = Period(day(2), day(3))
    both = Scope("hostages", ("released", "remains_returned"), None, ("A",), "truce_deal", "E")
    dead = both._replace(kind=("remains_returned",))
    said = [
        Statement(ids[0], both, days, 4, 4, False, frozenset({"src_1"}), "exact"),
        Statement(ids[1], both, days, 4, 4, False, frozenset({"src_2"}), "exact"),
        Statement("ent_dead", dead, days, 4, 4, False, frozenset({"src_3"}), "exact"),
        Statement("ent_wrong", dead, days, 6, 6, False, frozenset({"src_4"}), "exact"),
    ]
    (conflict,) = answer(analyse(said, {"E": EXCHANGE_DAYS}), QUESTIONS[1], None, None).conflicts
    assert sorted(r.entry for r in conflict.reports) == [
        "ent_a", "ent_b", "ent_dead", "ent_wrong"
    ]  # fmt: skip
    assert conflict.readings == (("ent_wrong",),)


def test_a_conflict_told_by_many_sources_lists_each_and_sets_aside_one_side() -> None:
    # Ten sources each give the day's aggregate (24) and its breakdown (13 and 12), which
    # cannot both be true. One of them in force binds as much as all ten, so a reading sets
    # aside all ten reports of one figure; every report is listed, with its twins.
    day_ = Period(day(1), day(1))
    said = Scope("hostages", ("released",))
    figures = [(None, 24), (("Israeli",), 13), (("Thai",), 12)]
    statements = [
        Statement(f"ent_{n}_{s}", said._replace(nationality=who), day_, count, count)
        for n, (who, count) in enumerate(figures)
        for s in range(10)
    ]
    (conflict,) = answer(analyse(statements, {}), QUESTIONS[0], None, None).conflicts
    assert len(conflict.reports) == 30
    assert conflict.set_aside == 10
    assert sorted({r.split("_")[1] for r in reading} for reading in conflict.readings) == [
        {"0"}, {"1"}, {"2"}
    ]  # fmt: skip
    assert {r.entry: r.implied for r in conflict.reports}["ent_0_3"] == Interval(25, 25)
