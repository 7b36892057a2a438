"""A change analysed by what it reaches (`ledger.counting.changes.revised`) gives exactly what
analysing the whole ledger again gives: the same components, figures and findings, after any
run of additions, corrections and retractions, including those that name a new batch,
nationality, party or exchange, with the untouched components keeping what they had worked
out, and the names of the ledger counted change by change as counting them afresh gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from ledger.counting import Analysis, analyse
from ledger.counting.changes import revised
from ledger.counting.context import Context, Named
from ledger.records import Period, Statement
from ledger.totals import answer, findings
from tests.unit.counting_oracle import EXCHANGE_DAYS
from tests.unit.test_counting_properties import QUESTIONS, contradicted, ledgers

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
EXCHANGES = {"E": EXCHANGE_DAYS}


def _statement_pool() -> st.SearchStrategy[list[Statement]]:
    return st.one_of(ledgers().map(lambda found: found[0]), contradicted())


@st.composite
def edited(draw: st.DrawFn, statements: list[Statement]) -> tuple[str, list[str], list[Statement]]:
    """One write: what it is, the ids it retracts, the statements it adds or corrects."""
    ids = sorted({s.id for s in statements})
    what = draw(st.sampled_from(["add", "correct", "rename", "retract"] if ids else ["add"]))
    if what == "add":
        more = draw(_statement_pool())
        n = draw(st.integers(0, 999))
        return what, [], [s._replace(id=f"new_{n:03d}_{s.id}") for s in more[:3]]
    chosen = draw(st.sampled_from(statements))
    if what == "retract":
        return what, [chosen.id], []
    if what == "correct":
        low = draw(st.integers(0, 6))
        one = dt.timedelta(days=draw(st.integers(0, 2)))
        period = Period(chosen.period.start, chosen.period.end + one)
        return what, [], [chosen._replace(low=low, high=low, period=period)]
    # A correction that names what the ledger did not: a batch, a nationality, a party.
    part = draw(st.sampled_from(["batch", "nationality", "party", "exchange"]))
    scope = chosen.scope
    scope = {
        "batch": scope._replace(exchange="E", batch=("b3",)),
        "nationality": scope._replace(nationality=("A", "C")),
        "party": scope._replace(party="Q"),
        "exchange": scope._replace(exchange="F", batch=None),
    }[part]
    return f"{what} {part}", [], [chosen._replace(scope=scope)]


def _plain(index: dict[Any, Any]) -> dict[Any, Any]:
    def rows(held: Any) -> Any:
        if isinstance(held, frozenset):
            return frozenset(frozenset(r.id for r in c.rows) for c in held)
        return frozenset(r.id for r in held.rows)

    return {key: rows(held) for key, held in index.items() if held}


def _worked(analysis: Analysis) -> None:
    """Ask what a dashboard asks, so the components hold work to keep or drop."""
    for question in QUESTIONS:
        answer(analysis, question, None, None)
    findings(analysis)


def _same(kept: Analysis, fresh: Analysis) -> None:
    groups = {frozenset(r.id for r in c.rows) for c in kept.components}
    assert groups == {frozenset(r.id for r in c.rows) for c in fresh.components}
    assert [c.first for c in kept.components] == [c.first for c in fresh.components]
    assert kept.statements == fresh.statements
    # The indexes handed on from change to change are those made afresh.
    for name in ("holding", "by_exchange"):
        handed_on, made = (_plain(getattr(a.indexes, name)) for a in (kept, fresh))
        assert handed_on == made, name
    assert kept.context == fresh.context
    # What the ledger names, counted change by change, is what counting it afresh gives.
    assert kept.named == fresh.named
    for question in QUESTIONS:
        assert answer(kept, question, None, None) == answer(fresh, question, None, None), question
    assert findings(kept) == findings(fresh)


@SETTINGS
@given(_statement_pool(), st.data())
def test_a_change_analysed_by_its_reach_equals_the_whole_ledger_analysed_again(
    statements: list[Statement], data: st.DataObject
) -> None:
    analysis = analyse(statements, EXCHANGES)
    held = {s.id: s for s in statements}
    for _ in range(data.draw(st.integers(1, 4))):
        _worked(analysis)
        what, gone, added = data.draw(edited(list(held.values())))
        note(f"{what}: -{gone} +{added}")
        for i in gone:
            held.pop(i)
        held.update((s.id, s) for s in added)
        exchanges = {**EXCHANGES, "F": EXCHANGE_DAYS} if "exchange" in what else EXCHANGES
        analysis = revised(analysis, gone, added, exchanges)
        _same(analysis, analyse(list(held.values()), exchanges))


def test_components_the_change_does_not_reach_keep_their_work() -> None:
    one = Period(dt.date(2023, 11, 24), dt.date(2023, 11, 24))
    other = Period(dt.date(2024, 2, 1), dt.date(2024, 2, 1))
    first = analyse(_two_exchanges(one, other), {})
    _worked(first)
    far = next(c for c in first.components if c.rows[0].scope.exchange == "exc_b")
    near = next(c for c in first.components if c.rows[0].scope.exchange == "exc_a")
    added = Statement("ent_c", near.rows[0].scope, one, 3, 3)
    after = revised(first, [], [added], {})
    assert far in after.components  # the same object, and all it had worked out
    assert near not in after.components
    assert answer(after, QUESTIONS[0], None, None) == answer(
        analyse([*_two_exchanges(one, other), added], {}), QUESTIONS[0], None, None
    )


def _two_exchanges(one: Period, other: Period) -> list[Statement]:
    from ledger.scope import Scope

    def scope(exchange: str) -> Scope:
        return Scope("hostages", ("released",), None, None, None, exchange, None)

    return [
        Statement("ent_a", scope("exc_a"), one, 24, 24),
        Statement("ent_b", scope("exc_b"), other, 7, 7),
    ]


@SETTINGS
@given(_statement_pool(), st.data())
def test_the_context_counted_change_by_change_is_the_context_of_the_ledger(
    statements: list[Statement], data: st.DataObject
) -> None:
    # Exchanges' days change too (an exchange revised, or its days not known any more): a
    # batch's days within them are worked out again, the rest taken from the context before.
    spans = st.sampled_from([None, EXCHANGE_DAYS, Period(EXCHANGE_DAYS.start, EXCHANGE_DAYS.start)])
    held = {s.id: s for s in statements}
    exchanges = {"E": data.draw(spans)}
    named = Named.of(statements)
    context = named.context(exchanges)
    for _ in range(data.draw(st.integers(1, 4))):
        what, gone, added = data.draw(edited(list(held.values())))
        left = [held.pop(i) for i in gone] + [held[s.id] for s in added if s.id in held]
        held.update((s.id, s) for s in added)
        exchanges = {"E": data.draw(spans), "F": data.draw(spans)}
        note(f"{what}: -{gone} +{added}, days {exchanges}")
        named = named.changed(left, added)
        context = named.context(exchanges, before=context)
        assert named == Named.of(held.values())
        assert context == Context.of(held.values(), exchanges)
