"""verify's findings: the ledger's checks put in words, each naming its entries and sources."""

from __future__ import annotations

import datetime as dt

from ledger.checks import checks
from ledger.records import Entry, Evidence, Period
from ledger.verify import describe_checks

D = dt.date


def entry(entry_id: str, kind: str, count: int, start: D, end: D, source: str) -> Entry:
    return Entry(
        id=entry_id,
        kind=kind,
        population="hostages",
        count=count,
        period=Period(start, end),
        party="P",
        evidence=(Evidence(source, 0, "x", 0, 1),),
    )


CAPTURED = entry("ent_captured", "captured", 100, D(2023, 10, 7), D(2023, 10, 7), "src_z")


def test_a_clean_ledger_has_no_findings():
    entries = [CAPTURED, entry("ent_a", "released", 3, D(2023, 11, 24), D(2023, 11, 24), "src_a")]
    assert describe_checks(checks(entries), entries) == []


def test_conflicts_name_each_report_with_its_sources():
    entries = [
        CAPTURED,
        entry("ent_a", "released", 3, D(2023, 11, 24), D(2023, 11, 25), "src_a"),
        entry("ent_b", "released", 4, D(2023, 11, 24), D(2023, 11, 25), "src_b"),
    ]
    (finding,) = describe_checks(checks(entries), entries)
    assert finding.where == "conflict hostages released by P (other) 2023-11-24..2023-11-25"
    assert finding.problem.endswith("ent_a (src_a) says 3; ent_b (src_b) says 4")


def test_overlaps_and_more_out_than_captured_name_their_entries():
    entries = [
        entry("ent_a", "released", 3, D(2023, 11, 24), D(2023, 11, 26), "src_a"),
        entry("ent_b", "released", 2, D(2023, 11, 25), D(2023, 11, 27), "src_b"),
        entry("ent_c", "captured", 1, D(2023, 11, 20), D(2023, 11, 20), "src_c"),
    ]
    found = {f.where: f.problem for f in describe_checks(checks(entries), entries)}
    overlaps = [w for w in found if w.startswith("overlap hostages released by P (other) ")]
    assert overlaps, found
    assert all("ent_a (src_a)" in found[w] and "ent_b (src_b)" in found[w] for w in overlaps)
    held = [w for w in found if w.startswith("still held P by ")]
    assert held, found
    assert "than captured (1)" in found[held[0]]
    assert "ent_a (src_a)" in found[held[0]] and "ent_c (src_c)" in found[held[0]]
