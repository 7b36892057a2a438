"""verify's findings: the ledger's checks put in words, each naming its entries and sources."""

from __future__ import annotations

import datetime as dt

from ledger.checks import checks
from ledger.counting import analyse
from ledger.records import Entry, Evidence, Period
from ledger.totals import statements
from ledger.verify import describe_checks, describe_implied, describe_names

D = dt.date


def entry(entry_id: str, kind: str, count: int, start: D, end: D, source: str) -> Entry:
    return Entry(
        id=entry_id,
        kind=(kind,),
        population="hostages",
        count=count,
        period=Period(start, end),
        party="P",
        evidence=(Evidence(source, 0, "x", 0, 1),),
    )


def found(entries: list[Entry]) -> dict[str, str]:
    return {f.where: f.problem for f in describe_checks(checks(analyse(statements(entries))),
                                                         entries)}  # fmt: skip


CAPTURED = entry("ent_captured", "captured", 100, D(2023, 10, 7), D(2023, 10, 7), "src_z")


def test_a_clean_ledger_has_no_findings():
    entries = [CAPTURED, entry("ent_a", "released", 3, D(2023, 11, 24), D(2023, 11, 24), "src_a")]
    assert found(entries) == {}


def test_conflicts_name_each_report_with_its_sources_and_the_readings():
    entries = [
        CAPTURED,
        entry("ent_a", "released", 3, D(2023, 11, 24), D(2023, 11, 25), "src_a"),
        entry("ent_b", "released", 4, D(2023, 11, 24), D(2023, 11, 25), "src_b"),
    ]
    ((where, problem),) = found(entries).items()
    assert where.startswith("conflict cfl_") and where.endswith(" 2023-11-24..2023-11-25")
    assert "ent_a (src_a) says 3, the others imply 4" in problem
    assert "ent_b (src_b) says 4, the others imply 3" in problem
    assert problem.endswith("that sets aside 1 of them: ent_a or ent_b")


def test_more_out_than_captured_names_its_entries():
    entries = [
        entry("ent_a", "released", 3, D(2023, 11, 24), D(2023, 11, 26), "src_a"),
        entry("ent_c", "captured", 1, D(2023, 11, 20), D(2023, 11, 20), "src_c"),
    ]
    listed = found(entries)
    held = [w for w in listed if w.startswith("still held P by ")]
    assert held, listed
    assert "than captured (1)" in listed[held[0]]
    assert "ent_a (src_a)" in listed[held[0]] and "ent_c (src_c)" in listed[held[0]]


def test_implied_counts_are_described_with_the_entries_that_imply_them():
    entries = [entry("ent_a", "released", 3, D(2023, 11, 24), D(2023, 11, 26), "src_a")]
    (implied,) = describe_implied(checks(analyse(statements(entries))))
    assert implied.where.startswith("implied imp_") and "(undated)" in implied.where
    assert "ent_a" in implied.problem


def test_names_written_before_normalisation_are_named():
    """A look-alike stored before names were normalised stays a key of its own: verify says
    which record holds it and what a write would store instead."""
    base = entry("ent_ok", "released", 3, D(2023, 11, 24), D(2023, 11, 24), "src_a")
    fullwidth = Entry(**{**base.__dict__, "id": "ent_wide", "party": "\uff33poof"})
    hidden = Entry(**{**base.__dict__, "id": "ent_zw", "nationality": ("Tha\u200bi",)})
    named = {f.where: f.problem for f in describe_names([base, fullwidth, hidden], [])}
    assert set(named) == {"entry ent_wide revision 1", "entry ent_zw revision 1"}
    assert "'Spoof'" in named["entry ent_wide revision 1"]
    assert "nationality" in named["entry ent_zw revision 1"]
