"""Published tables: RFC 4180 CSV, formula defusing, the data package's shape."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pytest

from ledger.counting import analyse
from ledger.publication import (
    DEFUSED_NOTE,
    ENTRIES,
    TABLES,
    TOTALS,
    csv_lines,
    csv_text,
    datapackage,
    entry_line,
    entry_row,
    finding_rows,
    totals_rows,
)
from ledger.records import Entry, Evidence, Period
from ledger.selection import Selection
from ledger.totals import statements, totals

FRIDAY, MONDAY = dt.date(2023, 11, 24), dt.date(2023, 11, 27)


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    "dangerous",
    [
        '=HYPERLINK("http://example.org","click")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "'Tis a quote",  # already an apostrophe: one more, so stripping one is always right
    ],
)
def test_text_that_a_spreadsheet_would_run_is_defused(dangerous):
    row = entry_row(dataclasses.replace(counted("ent_x", 5, FRIDAY, FRIDAY), description=dangerous))
    header, cells = parse("".join(csv_lines(ENTRIES, [row])))
    assert cells[header.index("description")] == "'" + dangerous
    assert cells[header.index("count")] == "5"
    assert cells[header.index("nationality")] == ""


def test_numbers_stay_numbers_even_negative_and_lines_end_crlf():
    row = ["hostages", "released", "Hamas", None, "other", None, None, FRIDAY, -1, None, 0,
           None, False, "ent_a;ent_b", None]  # fmt: skip
    text = "".join(csv_lines(TOTALS, [row]))
    assert text.endswith("\r\n") and text.count("\r\n") == 2
    header, cells = parse(text)
    assert cells[header.index("daily_low")] == "-1" and cells[header.index("daily_high")] == ""
    assert cells[header.index("approx")] == "false"


def test_chunks_hold_a_bounded_number_of_rows():
    rows = (entry_row(counted(f"ent_{i}", i, FRIDAY, FRIDAY)) for i in range(1200))
    chunks = list(csv_lines(ENTRIES, rows, batch=500))
    assert len(chunks) == 3
    assert len(parse("".join(chunks))) == 1201


def test_text_that_starts_safely_is_written_as_it_is():
    row = entry_row(
        dataclasses.replace(counted("ent_x", 5, FRIDAY, FRIDAY), description="50 hostages = 50")
    )
    header, cells = parse("".join(csv_lines(ENTRIES, [row])))
    assert cells[header.index("description")] == "50 hostages = 50"


def test_every_column_of_words_says_how_to_undo_the_defusing():
    package = datapackage(lambda name: f"{name}.csv", [])
    assert DEFUSED_NOTE in package["description"]
    described = {
        (resource["name"], field["name"])
        for resource in package["resources"]
        for field in resource["schema"]["fields"]
        if DEFUSED_NOTE in field["description"]
    }
    assert {
        ("entries", "party"), ("entries", "nationality"), ("entries", "description"),
        ("entries", "period_phrase"), ("entries", "period_note"), ("entries", "quotes"),
        ("entries", "author"), ("entries", "reason"), ("evidence", "quote"),
        ("evidence", "sentence_text"), ("totals", "party"), ("entries", "batch"),
        ("findings", "description"), ("exchanges", "name"), ("sources", "title"),
        ("sources", "publisher"), ("sentences", "text"),
    } <= described  # fmt: skip
    # Ids, enums, numbers and dates never begin like a formula: their descriptions stay short.
    assert not {("entries", "entry_id"), ("entries", "kind"), ("evidence", "start")} & described


def counted(
    id: str, count: int, start: dt.date, end: dt.date, party: str = "Hamas", **scope: object
) -> Entry:
    return Entry(
        id=id, kind=("released",), population="hostages", count=count,
        period=Period(start, end), party=party, framework="truce_deal",
        evidence=(Evidence("src_a", 0, "q", 0, 1, "a sentence", FRIDAY),), **scope,
    )  # fmt: skip


def test_totals_rows_are_the_days_of_the_json_totals_per_population_and_kind():
    early = counted("ent_early", 4, dt.date(2023, 11, 20), dt.date(2023, 11, 22), party="Other")
    truce = counted("ent_truce", 50, FRIDAY, MONDAY)
    bodies = dataclasses.replace(
        counted("ent_bodies", 2, MONDAY, MONDAY), kind=("remains_returned",)
    )
    analysis = analyse(statements([early, truce, bodies]))
    rows = list(totals_rows(analysis, Selection()))
    assert {(r[0], r[1]) for r in rows} == {
        ("hostages", "released"), ("hostages", "remains_returned"),
    }  # fmt: skip
    released = [r for r in rows if r[1] == "released"]
    whole = totals([early, truce], kind="released")
    assert [(r[7], r[10], r[11]) for r in released] == [
        (d.date, d.cumulative.low, d.cumulative.high) for d in whole.days
    ]
    assert released[-1][7:12] == (MONDAY, 0, 50, 54, 54)
    # The filters asked for are written beside the figures; a day names its findings.
    only = list(totals_rows(analysis, Selection(kind="released", party="Hamas", start=MONDAY)))
    assert [(r[2], r[7], r[10]) for r in only] == [("Hamas", MONDAY, 50)]
    assert only[0][-1] and only[0][-1].startswith("imp_")


def test_findings_rows_name_conflicts_with_their_readings_and_implied_counts():
    one = counted("ent_one", 14, FRIDAY, FRIDAY)
    other = dataclasses.replace(
        counted("ent_other", 13, FRIDAY, FRIDAY),
        evidence=(Evidence("src_b", 0, "q", 0, 1, "a sentence", FRIDAY),),
    )
    four = counted("ent_four", 50, FRIDAY, MONDAY, party="Other", nationality=("Israeli",))
    rows = list(finding_rows(analyse(statements([one, other, four])), Selection()))
    conflict = next(r for r in rows if r[1] == "conflict")
    assert conflict[7] == "ent_one;ent_other"
    assert conflict[9] == "ent_one | ent_other"
    assert "ent_one states 14; the others imply 13" in conflict[10]
    undated = next(r for r in rows if r[1] == "implied")
    assert undated[2:8] == ("undated", FRIDAY, MONDAY, 50, 50, "ent_four")


def test_the_package_describes_every_table_with_keys_and_license():
    package = datapackage(lambda name: f"{name}.csv", [{"title": "A report"}])
    assert [r["name"] for r in package["resources"]] == list(TABLES)
    by_name = {r["name"]: r for r in package["resources"]}
    assert by_name["entries"]["schema"]["primaryKey"] == ["entry_id"]
    assert by_name["totals"]["schema"]["primaryKey"] == ["population", "kind", "date"]
    assert by_name["findings"]["schema"]["primaryKey"] == ["finding_id"]
    assert by_name["exchanges"]["schema"]["primaryKey"] == ["exchange_id"]
    evidence_keys = by_name["evidence"]["schema"]["foreignKeys"]
    assert {
        "fields": ["entry_id"],
        "reference": {"resource": "entries", "fields": ["entry_id"]},
    } in evidence_keys
    assert by_name["sentences"]["schema"]["foreignKeys"][0]["reference"]["resource"] == "sources"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["sources"] == [{"title": "A report"}]
    for resource in package["resources"]:
        names = [f["name"] for f in resource["schema"]["fields"]]
        assert names == TABLES[resource["name"]].header


PINNED = Entry(
    id="ent_pinned", kind=("released", "remains_returned"), population="hostages", count=50,
    qualifier="at_least", period=Period(FRIDAY, MONDAY), party="Hamas",
    nationality=("Israeli", "Russian"), framework="truce_deal", exchange="exc_truce",
    batch=("r1",),
    description='women, "and" children', period_phrase="=the first four days",
    period_note="the truce began\r\non Friday",
    evidence=(Evidence("src_b", 3, "50 hostages", 10, 21), Evidence("src_a", 1, "+50", 0, 3),
              Evidence("src_b", 4, "fifty", 30, 35)),
    revision=2, recorded_at=dt.datetime(2023, 11, 28, 9, 30, tzinfo=dt.UTC), author="desk",
    reason="@correction",
)  # fmt: skip


def test_the_stored_rows_of_entries_csv_are_written_as_pinned_here():
    # Each entry revision's row is stored when it is written (ledger.storage.exports). If this
    # fails, entries.csv is now written differently: add a migration that empties
    # published_entry_row (Ledger.migrate then stores every row again), then update the row
    # below.
    assert entry_line(PINNED) == (
        "ent_pinned,2,hostages,released;remains_returned,Hamas,Israeli;Russian,truce_deal,"
        "exc_truce,r1,50,at_least,,2023-11-24,2023-11-27,"
        '"women, ""and"" children",\'=the first four days,"the truce began\r\non Friday",2,'
        "src_a;src_b,50 hostages | +50 | fifty,2023-11-28T09:30:00+00:00,desk,'@correction"
    )


def test_rows_written_one_by_one_make_the_same_file_as_csv_lines():
    entries = [
        PINNED,
        dataclasses.replace(PINNED, id="ent_b", description="\ttab", period_note=None),
        dataclasses.replace(PINNED, id="ent_c", party="Hamas\n", reason="'quoted"),
    ]
    lines = [entry_line(e) for e in entries]
    whole = "".join(csv_lines(ENTRIES, map(entry_row, entries)))
    assert "".join(csv_text(ENTRIES, lines)) == whole
    assert "".join(csv_text(ENTRIES, lines, batch=2)) == whole
    assert [row[0] for row in parse(whole)[1:]] == ["ent_pinned", "ent_b", "ent_c"]


def test_a_table_without_rows_is_its_header():
    header = ",".join(ENTRIES.header) + "\r\n"
    assert list(csv_lines(ENTRIES, [])) == [header]
    assert "".join(csv_text(ENTRIES, [])) == header
