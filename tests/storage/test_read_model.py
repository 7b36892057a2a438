"""The read model of the totals (ledger.day_totals): kept by every write in its own
transaction, its query gives every kept question's figures exactly as the analysis does, at
the head and as of every revision since it was built; a ledger loaded around the service is
built once by migrate; verify names any row that differs. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ledger.records import KINDS, POPULATIONS
from ledger.seed import load_seed
from ledger.service import Ledger
from tests.storage.test_newest_analysis import _data

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _figures(totals: Any) -> tuple[Any, ...]:
    days = tuple((d.date, d.daily, d.cumulative, d.approx) for d in totals.days)
    return days, totals.total, totals.approx


def _same_as_the_analysis(ledger: Ledger, as_of: dt.datetime | None = None) -> int:
    """Every kept question's figures from the read model equal the analysis's; how many
    questions had any day."""
    asked = 0
    for population in (*POPULATIONS, None):
        for kind in KINDS:
            found = ledger.day_totals(as_of, population=population, kind=kind)
            assert found is not None, (population, kind, as_of)
            revision, figures = found
            assert revision == ledger.revision(as_of)
            worked_out = ledger.totals(as_of, population=population, kind=(kind,))
            assert _figures(figures) == _figures(worked_out), (population, kind, as_of)
            asked += bool(figures.days)
    return asked


def _writes(ledger: Ledger) -> list[Any]:
    state = ledger.state()
    thais = next(e for e in state.entries if e.id == "ent_seed_parallel_thais")
    hostages = next(e for e in state.entries if e.id == "ent_seed_truce_hostages")
    night = {"start": "2023-11-25", "end": "2023-11-26"}
    return [
        lambda: ledger.add_entry(_data(thais, count=18), "editor"),  # a conflict
        lambda: ledger.add_entry(  # a batch the ledger did not name, over midnight
            _data(hostages, count=24, period=night, nationality=None, batch=["night"]), "editor"
        ),
        lambda: ledger.add_entry(_data(thais, qualifier="approx", count=20), "editor"),
        lambda: ledger.add_entry(_data(thais, qualifier="at_least", count=3), "editor"),
        lambda: ledger.revise_entry(hostages.id, _data(hostages, count=51), "seed", "a test"),
        lambda: ledger.retract_entry(thais.id, "seed", "a test"),
    ]


def test_each_write_keeps_the_figures_of_every_kept_question(seeded: Ledger):
    assert _same_as_the_analysis(seeded) >= 3
    moments = [seeded.chain_head().recorded_at]
    for write in _writes(seeded):
        write()
        _same_as_the_analysis(seeded)
        # A server that never answered before reads the same rows.
        _same_as_the_analysis(Ledger(seeded.database))
        moments.append(seeded.chain_head().recorded_at)
    # As of each earlier revision: the rows in force then.
    for moment in moments:
        _same_as_the_analysis(Ledger(seeded.database), moment)
    assert seeded.verify() == []


def test_two_servers_writing_in_turn_never_count_a_component_twice(seeded: Ledger):
    """Each server's newest analysis falls behind the other's writes to the same component:
    a write still moves the rows on from the ledger as it found it, never from what that
    server last saw (or the component the other server wrote would stay in force)."""
    servers = [seeded, Ledger(seeded.database)]
    for server in servers:
        server.analysis()
    writes = [_writes(server) for server in servers]
    for n in (0, 2, 3, 5):  # each of these meets the Thais' component
        writes[n % 2][n]()
        _same_as_the_analysis(Ledger(seeded.database))
    assert seeded.verify() == []


@pytest.mark.parametrize("folder", ["truce_2023", "ceasefire_2025"])
def test_reported_exchanges_are_kept_report_by_report(ledger: Ledger, folder: str):
    # The fixtures' reports are recorded one write each: exchanges, their days, remains.
    load_seed(ledger, FIXTURES / folder)
    assert _same_as_the_analysis(ledger) >= 2
    # An exchange's days change: every component of its people is named again.
    exchange = ledger.state().exchanges[0]
    last = max(e.period.end for e in ledger.state().entries if e.exchange == exchange.id)
    data = {
        "name": exchange.name,
        "parties": list(exchange.parties),
        "first_day": exchange.first_day.isoformat(),
        "last_day": (last + dt.timedelta(days=5)).isoformat(),
        "description": exchange.description,
        "evidence": [
            {"source": e.source, "sentence": e.sentence, "quote": e.quote}
            for e in exchange.evidence
        ],
    }
    ledger.revise_exchange(exchange.id, data, "editor", "its last day")
    _same_as_the_analysis(ledger)
    assert ledger.verify() == []


def test_a_ledger_loaded_around_the_service_is_built_once_by_migrate(seeded: Ledger):
    before = seeded.chain_head().recorded_at
    with seeded.database.engine.begin() as connection:  # as a bulk load leaves it
        connection.execute(text("DELETE FROM day_total"))
        connection.execute(text("UPDATE read_model SET revision = revision - 1"))
    fresh = Ledger(seeded.database)
    assert fresh.day_totals(population="hostages", kind="released") is None
    assert "stands at revision" in str(fresh.verify())
    # A write does not keep a read model that is behind: it is left to be built.
    _writes(fresh)[0]()
    assert fresh.day_totals(population="hostages", kind="released") is None
    fresh.migrate()
    _same_as_the_analysis(fresh)
    # Moments before it was built are worked out from the entries.
    assert fresh.day_totals(before, population="hostages", kind="released") is None
    assert fresh.verify() == []


def test_verify_names_a_row_that_differs(seeded: Ledger):
    with seeded.database.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE day_total SET daily_low = daily_low + 1 WHERE id = "
                "(SELECT min(id) FROM day_total WHERE last_seq IS NULL)"
            )
        )
    found = [str(f) for f in seeded.verify()]
    assert len(found) == 2, found  # the row stored, and the row computed
    assert all(f.startswith("read model (day_total) ") for f in found)
    assert any("is stored but not computed" in f for f in found)
    assert any("is computed but not stored" in f for f in found)


def test_questions_it_does_not_keep_are_worked_out(seeded: Ledger):
    for question in (
        {"population": "hostages", "kind": "released", "nationality": "Thai"},
        {"population": "hostages", "kind": ["released", "rescued"]},
        {"population": "hostages", "kind": None},
        {"population": "hostages", "kind": "released", "exchange": "exc_x"},
    ):
        assert seeded.day_totals(**question) is None, question


def test_a_write_that_fails_leaves_the_rows_as_they_were(seeded: Ledger):
    with seeded.database.engine.connect() as connection:
        rows = connection.execute(text("SELECT count(*) FROM day_total")).scalar()
    entry = seeded.state().entries[0]
    with pytest.raises(ValueError), seeded.one_unit():
        seeded.add_entry(_data(entry, count=entry.count + 7), "editor")
        raise ValueError("the unit fails after its write")
    with seeded.database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM day_total")).scalar() == rows
    _same_as_the_analysis(seeded)


def test_exchanges_and_terms_written_move_the_figures_as_the_store_does(seeded: Ledger):
    """A write moves the read model on from the records it wrote (not read back): an
    exchange's days revised change the handovers its entries' groups fall in; a new exchange
    and a term change no figure. A new server, reading everything from the store, agrees."""
    truce = seeded.exchanges()[0]
    evidence = [{k: getattr(e, k) for k in ("source", "sentence", "quote")} for e in truce.evidence]
    body = {
        "name": truce.name,
        "parties": list(truce.parties),
        "first_day": truce.first_day.isoformat(),
        "description": "its days as reported",
        "evidence": evidence,
    }
    writes = [
        lambda: seeded.revise_exchange(
            truce.id, {**body, "last_day": "2023-11-30"}, "editor", "it ended", truce.revision
        ),
        lambda: seeded.add_exchange({**body, "name": "Another exchange"}, "editor"),
        lambda: seeded.add_term(
            {
                "exchange": truce.id,
                "population": "hostages",
                "party": "Hamas",
                "count": 10,
                "per": "day",
                "qualifier": "at_least",
                "period": {"start": "2023-11-28", "end": "2023-11-29"},
                "evidence": evidence,
            },
            "editor",
        ),
    ]
    for write in writes:
        write()
        # What this server holds after its write is what the store holds.
        held, stored = seeded.state(), Ledger(seeded.database).state()
        assert held.revision == stored.revision
        assert (held.entries, held.terms, held.exchanges) == (
            stored.entries,
            stored.terms,
            stored.exchanges,
        )
        _same_as_the_analysis(seeded)
        _same_as_the_analysis(Ledger(seeded.database))
    assert seeded.verify() == []
