"""Published tables: RFC 4180 CSV, formula defusing, the data package's shape."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from ledger.publication import ENTRIES, TABLES, TOTALS, csv_lines, datapackage


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    "dangerous",
    ['=HYPERLINK("http://example.org","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_text_that_a_spreadsheet_would_run_is_defused(dangerous):
    row = [
        "ent_x",
        1,
        "hostages",
        "released",
        "Hamas",
        None,
        "other",
        5,
        "exact",
        dt.date(2023, 11, 24),
        dt.date(2023, 11, 24),
        dangerous,
        None,
        None,
        1,
        "src_x",
        "q",
        dt.datetime(2023, 11, 28, tzinfo=dt.UTC),
        "desk",
        None,
    ]
    header, cells = parse("".join(csv_lines(ENTRIES, [row])))
    assert cells[header.index("description")] == "'" + dangerous
    assert cells[header.index("count")] == "5"
    assert cells[header.index("nationality")] == ""


def test_numbers_stay_numbers_even_negative_and_lines_end_crlf():
    row = [
        "hostages",
        "released",
        "Hamas",
        None,
        "other",
        dt.date(2023, 11, 24),
        -1,
        None,
        0,
        None,
        False,
        "ent_a;ent_b",
    ]
    text = "".join(csv_lines(TOTALS, [row]))
    assert text.endswith("\r\n") and text.count("\r\n") == 2
    _, cells = parse(text)
    assert cells[6] == "-1" and cells[7] == "" and cells[10] == "false"


def test_chunks_hold_a_bounded_number_of_rows():
    rows = (
        [
            f"id{i}",
            1,
            "hostages",
            "released",
            "P",
            None,
            "other",
            i,
            "exact",
            dt.date(2023, 1, 1),
            dt.date(2023, 1, 1),
            "",
            None,
            None,
            1,
            "s",
            "q",
            dt.datetime(2023, 1, 1, tzinfo=dt.UTC),
            "a",
            None,
        ]
        for i in range(1200)
    )
    chunks = list(csv_lines(ENTRIES, rows, batch=500))
    assert len(chunks) == 3
    assert len(parse("".join(chunks))) == 1201


def test_the_package_describes_every_table_with_keys_and_license():
    package = datapackage(lambda name: f"{name}.csv", [{"title": "A report"}])
    assert [r["name"] for r in package["resources"]] == list(TABLES)
    by_name = {r["name"]: r for r in package["resources"]}
    assert by_name["entries"]["schema"]["primaryKey"] == ["entry_id"]
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
