"""The charts' specs and rows: pure functions of the totals' JSON forms and of entries."""

from __future__ import annotations

import datetime as dt
import json

import vl_convert

from ledger import charts
from ledger.counting import analyse
from ledger.records import Entry, Evidence, Period
from ledger.schedule import schedule
from ledger.totals import statements, totals

FRIDAY = dt.date(2023, 11, 24)
MONDAY = dt.date(2023, 11, 27)


def entry(
    id: str,
    count: int,
    start: dt.date,
    end: dt.date | None = None,
    *,
    nationality: str | None = None,
    qualifier: str = "exact",
    population: str = "hostages",
    source: str = "reuters",
) -> Entry:
    return Entry(
        id=id,
        kind=("released",),
        population=population,
        count=count,
        qualifier=qualifier,
        period=Period(start, end or start),
        party="Hamas" if population == "hostages" else "Israel",
        nationality=None if nationality is None else (nationality,),
        framework="truce_deal",
        evidence=(Evidence(source, 0, str(count), 0, 2),),
    )


def days_of(*entries: Entry) -> list[dict]:
    return totals(entries).to_dict()["days"]


def rows_of(*entries: Entry) -> list[dict]:
    """The cumulative chart's rows for these entries."""
    return charts.cumulative_rows(days_of(*entries))


def layer_marks(spec: dict) -> list[str]:
    return [layer["mark"]["type"] for layer in spec["layer"]]


def compiles(spec: dict) -> dict:
    """The spec is valid Vega-Lite: vl-convert compiles it to Vega."""
    return vl_convert.vegalite_to_vega(spec)


def test_an_interval_reads_as_a_number_a_range_or_open():
    assert charts.interval_text(73, 73) == "73"
    assert charts.interval_text(54, 73) == "54\N{EN DASH}73"
    assert charts.interval_text(10, None) == "10 or more"


def test_cumulative_rows_keep_low_high_and_the_entries_of_each_day():
    rows = charts.cumulative_rows(days_of(entry("ent_truce", 50, FRIDAY, MONDAY)))
    assert [(r["date"], r["low"], r["high"]) for r in rows] == [
        ("2023-11-24", 0, 50),
        ("2023-11-25", 0, 50),
        ("2023-11-26", 0, 50),
        ("2023-11-27", 50, 50),
    ]
    assert rows[0]["covering"] == 1
    assert rows[-1]["label"] == "50"


def test_a_day_counts_every_entry_its_running_total_is_built_from():
    early = entry("ent_early", 4, dt.date(2023, 11, 1), dt.date(2023, 11, 23))
    truce = entry("ent_truce", 50, FRIDAY, MONDAY)
    later = entry("ent_later", 12, dt.date(2023, 11, 28))
    answer = totals([early, truce, later], start=MONDAY).to_dict()
    rows = charts.cumulative_rows(answer["days"], answer["events"])
    # Monday's 54 stands on the early 4 too, though its period ended before the days shown.
    assert [(r["date"], r["low"], r["built_from"], r["covering"]) for r in rows] == [
        ("2023-11-27", 54, 2, 1),
        ("2023-11-28", 66, 3, 1),
    ]
    assert "entries" not in json.dumps(rows)  # counts, never lists of ids


def test_the_cumulative_chart_is_a_band_with_the_certain_line_on_top():
    spec = charts.cumulative_spec(rows_of(entry("ent_a", 13, FRIDAY)), population="hostages")
    # The band, the certain line, the points, and each day's unseen column the pointer hovers.
    assert layer_marks(spec) == ["area", "line", "point", "rule"]
    column = spec["layer"][3]
    assert column["mark"]["opacity"] == 0 and column["params"][0]["name"] == "day"
    assert [t["field"] for t in column["encoding"]["tooltip"]][:2] == ["day", "label"]
    band, line = spec["layer"][:2]
    assert band["encoding"]["y"]["field"] == "low"
    assert band["encoding"]["y2"]["field"] == "high_shown"
    assert line["encoding"]["y"]["field"] == "low"
    json.dumps(spec)  # plain data all the way down
    assert compiles(spec)


def test_an_open_high_is_drawn_at_the_ceiling_and_marked():
    rows = rows_of(entry("ent_a", 10, FRIDAY, qualifier="at_least"), entry("ent_b", 40, MONDAY))
    spec = charts.cumulative_spec(rows, population="hostages")
    values = spec["data"]["values"]
    assert all(v["open"] and v["high"] is None for v in values)
    assert {v["high_shown"] for v in values} == {round(50 * 1.25)}
    assert layer_marks(spec)[-1] == "point"
    assert spec["layer"][-1]["mark"]["shape"] == "triangle-up"
    assert charts.OPEN_NOTE in spec["title"]["subtitle"]  # the triangle's key, in every image
    assert compiles(spec)
    assert "no upper bound reported" in vl_convert.vegalite_to_svg(spec)


def test_no_open_high_means_no_open_marks():
    spec = charts.cumulative_spec(rows_of(entry("ent_a", 13, FRIDAY)), population="detainees")
    assert "triangle-up" not in json.dumps(spec)
    assert charts.OPEN_NOTE not in json.dumps(spec, ensure_ascii=False)


def test_an_empty_total_still_makes_a_chart():
    spec = charts.cumulative_spec([], population="hostages")
    assert spec["data"]["values"] == []
    assert compiles(spec)


def test_the_schedule_chart_sets_expected_beside_reported_on_the_days_of_the_terms():
    from ledger.records import Term

    term = Term(
        id="trm_truce", population="hostages", kind="released", party="Hamas", count=50,
        period=Period(FRIDAY, MONDAY), framework="truce_deal",
    )  # fmt: skip
    early = entry("ent_early", 4, dt.date(2023, 11, 1))
    reported = analyse(statements([early, entry("ent_truce", 50, FRIDAY, MONDAY)]))
    result = schedule([term], reported, population="hostages", kind="released", party="Hamas")
    days = [d.to_dict() for d in result.days]
    rows = charts.schedule_rows(days)
    assert {r["date"] for r in rows} == {"2023-11-24", "2023-11-25", "2023-11-26", "2023-11-27"}
    last = [r for r in rows if r["date"] == "2023-11-27"]
    assert {(r["series"], r["label"]) for r in last} == {
        ("expected by the terms", "50"),
        ("reported", "54"),
    }
    spec = charts.schedule_spec(rows, population="hostages")
    assert layer_marks(spec) == ["area", "line", "text"]
    assert compiles(spec)
    # Each day's verdict is written once, above the curves, so the image says it too.
    verdicts = [r for r in spec["data"]["values"] if r["verdict"]]
    assert [(r["date"], r["status"]) for r in verdicts] == [
        (d["date"], d["status"]) for d in days if d["expected"] is not None
    ]
    assert spec["layer"][-1]["encoding"]["text"] == {"field": "status"}
    svg = vl_convert.vegalite_to_svg(spec)
    assert all(f">{r['status']}<" in svg for r in verdicts)


def test_a_schedule_chart_says_which_filter_it_cannot_apply():
    note = "Not filtered by nationality (Thai)"
    spec = charts.schedule_spec([], population="hostages", note=note)
    assert note in spec["title"]["subtitle"]
    assert compiles(spec)


def test_nationality_rows_are_exact_per_group_and_name_the_unnamed_rest():
    entries = [
        entry("ent_thai", 17, FRIDAY, MONDAY, nationality="Thai"),
        entry("ent_thai_day", 10, FRIDAY, nationality="Thai"),  # inside the coarse one
        entry("ent_israeli", 13, FRIDAY, nationality="Israeli", source="ap"),
        entry("ent_israeli_again", 13, FRIDAY, nationality="Israeli", source="bbc"),
        entry("ent_unnamed", 4, MONDAY),
        entry("ent_detainees", 39, FRIDAY, nationality="Palestinian", population="detainees"),
    ]
    analysis = analyse(statements(entries))
    rows = charts.nationality_rows(analysis, population="hostages")
    # The 17 Thais over four days include the 10 of Friday: counted once. Monday's 4 give no
    # nationality: they may be Israelis (13 to 17), or of no nationality named (0 to 4), but
    # not Thais beyond the 17 the Thai report gives for those days.
    assert [(r["nationality"], r["stated"], r["label"], r["sources"]) for r in rows] == [
        ("Thai", True, "17", 1),
        ("Israeli", True, "13\N{EN DASH}17", 3),
        (charts.NOT_STATED, False, "0\N{EN DASH}4", 1),
    ]
    assert [r["entries"] for r in rows] == [3, 3, 1]  # counts: a link lists them, page by page
    assert [r["rank"] for r in rows] == [0, 1, 2]
    by_monday_eve = charts.nationality_rows(analysis, end=dt.date(2023, 11, 26))
    assert {r["nationality"] for r in by_monday_eve} == {"Thai", "Israeli", "Palestinian"}
    assert all(r["date"] == "2023-11-26" for r in by_monday_eve if r["nationality"] == "Thai")
    spec = charts.nationality_spec(rows)
    assert layer_marks(spec) == ["bar", "rule", "text"]
    assert compiles(spec)
