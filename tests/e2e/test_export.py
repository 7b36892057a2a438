"""CSV export and the data package, against the real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import pty
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas

from ledger.publication import FORMULA_STARTS, TABLES
from tests.e2e.conftest import Service

FRICTIONLESS = Path(sys.executable).with_name("frictionless")


def table(service: Service, name: str, **params) -> list[dict[str, str]]:
    response = service.public.get(f"/v1/export/{name}.csv", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="exchange-ledger-{name}' in response.headers["Content-Disposition"]
    text = response.content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    frame = pandas.read_csv(io.StringIO(text), keep_default_na=False, dtype=str)
    assert list(frame.columns) == TABLES[name].header
    assert len(frame) == len(rows)
    return rows


def exact(cell: str) -> str:
    """A defused cell's exact text, as datapackage.json says to get it back."""
    return cell[1:] if cell.startswith("'") else cell


def every(service: Service, path: str, **params) -> list[dict]:
    found, page = [], 1
    while True:
        response = service.public.get(path, params={**params, "page": page, "page_size": 500})
        found += response.json()
        if 'rel="next"' not in response.headers.get("Link", ""):
            return found
        page += 1


def test_each_table_matches_its_json_route(service: Service):
    entries = every(service, "/v1/entries")
    rows = table(service, "entries")
    assert sorted(r["entry_id"] for r in rows) == sorted(e["id"] for e in entries)
    by_id = {e["id"]: e for e in entries}
    for row in rows:
        entry = by_id[row["entry_id"]]
        assert int(row["count"]) == entry["count"]
        assert int(row["revision"]) == entry["revision"]
        assert int(row["corroboration"]) == entry["corroboration"]
        assert row["quotes"] == " | ".join(e["quote"] for e in entry["evidence"])
    evidence = table(service, "evidence")
    assert len(evidence) == sum(len(e["evidence"]) for e in entries)
    text = service.public.get(f"/v1/sources/{evidence[0]['source_id']}/text").text
    for row in evidence:
        if row["source_id"] == evidence[0]["source_id"]:
            assert text[int(row["start"]) : int(row["end"])] == row["quote"]
    sources = table(service, "sources")
    assert len(sources) == int(service.public.get("/v1/sources").headers["X-Total-Count"])
    sentences = table(service, "sentences")
    assert len(sentences) == sum(s["sentence_count"] for s in every(service, "/v1/sources"))


def test_totals_rows_are_the_json_totals_of_their_population_and_kind(service: Service):
    rows = table(service, "totals", population="detainees", party="Israel")
    assert {(r["population"], r["kind"], r["party"], r["nationality"]) for r in rows} == {
        ("detainees", "released", "Israel", "")
    }
    days = service.public.get(
        "/v1/totals", params={"population": "detainees", "kind": "released", "party": "Israel"}
    ).json()["days"]
    assert [(r["date"], int(r["cumulative_low"]), r["cumulative_high"]) for r in rows] == [
        (d["date"], d["cumulative"]["low"], str(d["cumulative"]["high"])) for d in days
    ]
    clipped = table(
        service, "totals", population="detainees", party="Israel", **{"from": "2023-11-27"}
    )
    assert [(r["date"], r["cumulative_low"]) for r in clipped] == [("2023-11-27", "150")]
    # The day names the findings behind it: the seed's four days of releases are undated.
    assert all(r["findings"].startswith("imp_") for r in clipped)
    findings = {r["finding_id"]: r for r in table(service, "findings", population="detainees")}
    assert clipped[0]["findings"] in findings


def test_every_formula_start_is_defused_wherever_words_reach_a_csv(service: Service):
    marker = uuid.uuid4().hex[:8]
    lines = [
        "=SUM(1,2) hostages were freed, a sheet said.",
        "+3 more were freed on Monday.",
        "-4 were said to be missing.",
        "@desk reported 5 hostages released.",
        "Officials said:\t6 hostages were freed.",
        f"Marker {marker}.",
    ]
    source = service.editor.post(
        "/v1/sources",
        json={"text": "date 2023-11-28\n" + "\n".join(lines) + "\n",
              "title": "\t=HYPERLINK(1)", "publisher": "@desk"},
    ).json()  # fmt: skip
    party = f"Formula party {marker}"
    descriptions = ['=HYPERLINK("http://example.org/x","details")', "+1", "-1", "@x", "\rx"]
    quotes = ["=SUM(1,2) hostages were freed", "+3 more were freed", "-4 were said",
              "@desk reported 5", "\t6 hostages were freed"]  # fmt: skip
    assert {q[0] for q in quotes} | {"\r"} == set(FORMULA_STARTS)
    for n, (description, quote) in enumerate(zip(descriptions, quotes, strict=True)):
        posted = service.editor.post(
            "/v1/entries",
            json={
                "kind": "released", "population": "hostages", "count": 3 + n, "party": party,
                "period": {"start": "2023-11-27", "end": "2023-11-27"},
                "description": description, "period_phrase": "-on Monday",
                "evidence": [{"source": source["id"], "quote": quote}],
            },
        )  # fmt: skip
        assert posted.status_code == 201, posted.text
    # The API trims a description, so a carriage return never leads a cell (the unit tests
    # defuse one all the same); every other formula start reaches a cell, and is defused.
    assert posted.json()["description"] == "x"

    entries = table(service, "entries", party=party)
    assert sorted(r["description"] for r in entries) == sorted(
        ["x", *("'" + d for d in descriptions[:4])]
    )
    assert all(r["period_phrase"] == "'-on Monday" for r in entries)
    assert sorted(r["quotes"] for r in entries) == sorted("'" + q for q in quotes)
    evidence = table(service, "evidence", party=party)
    text = service.public.get(f"/v1/sources/{source['id']}/text").content.decode("utf-8")
    assert len(evidence) == len(quotes)
    for row in evidence:
        assert row["quote"].startswith("'")
        # An offset checker strips the one apostrophe and finds the report's exact words.
        assert exact(row["quote"]) == text[int(row["start"]) : int(row["end"])]
        assert exact(row["sentence_text"]) in lines
    assert sum(row["sentence_text"].startswith("'") for row in evidence) == 4
    (cited,) = table(service, "sources", source=source["id"])
    assert (cited["title"], cited["publisher"]) == ("'\t=HYPERLINK(1)", "'@desk")
    sentences = table(service, "sentences", source=source["id"])
    assert [exact(r["text"]) for r in sentences[1:]] == lines
    assert [r["text"][0] for r in sentences[1:]] == ["'"] * 4 + ["O", "M"]
    # Numbers stay numbers: pandas reads the counts as integers, not text.
    frame = pandas.read_csv(
        io.StringIO(service.public.get("/v1/export/entries.csv", params={"party": party}).text)
    )
    assert frame["count"].dtype.kind == "i"


def test_a_filter_a_table_cannot_apply_is_refused_not_ignored(service: Service):
    for name, params in (
        ("sources", {"party": "Hamas"}),
        ("sentences", {"population": "hostages"}),
        ("sources", {"from": "2023-11-24"}),
        ("totals", {"source": "src_53be30cdb8808ddb"}),
    ):
        refused = service.public.get(f"/v1/export/{name}.csv", params=params)
        assert refused.status_code == 422, (name, params, refused.text)
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        (field,) = refused.json()["errors"]
        assert field == next(iter(params)) and f"{name}.csv cannot be filtered" in refused.text
    (only,) = table(service, "sources", source="src_53be30cdb8808ddb")
    assert only["id"] == "src_53be30cdb8808ddb"


def write_between(service: Service) -> tuple[str, str]:
    """Two entries written a moment apart; the moment between them, and the second's id."""
    text = f"date 2023-11-30\nHamas released 7 hostages this week ({uuid.uuid4()})."
    source = service.editor.post("/v1/sources", json={"text": text}).json()

    def post(count: int, day: str) -> dict:
        posted = service.editor.post(
            "/v1/entries",
            json={
                "kind": "released", "population": "hostages", "count": count, "party": "Hamas",
                "nationality": "Israeli", "framework": "truce_deal", "description": "hostages",
                "period": {"start": day, "end": day},
                "evidence": [{"source": source["id"], "quote": "Hamas released 7 hostages"}],
            },
        )  # fmt: skip
        assert posted.status_code == 201, posted.text
        return posted.json()

    first = post(7, "2023-11-29")
    time.sleep(0.05)  # distinct recorded_at: the moment below lies strictly between the two
    second = post(3, "2023-11-30")
    moment = dt.datetime.fromisoformat(first["recorded_at"])
    assert moment < dt.datetime.fromisoformat(second["recorded_at"])
    return moment.isoformat(), second["id"]


def test_filters_and_as_of_give_the_rows_of_the_json_routes(service: Service):
    between, later = write_between(service)
    with_later = {e["id"] for e in every(service, "/v1/entries")}
    assert later in with_later
    for params in (
        {"party": "Hamas"},
        {"kind": "captured"},
        {"source": "src_53be30cdb8808ddb"},
        {"from": "2023-11-25", "to": "2023-11-25"},
        {"as_of": between},
        {"population": "hostages", "party": "Hamas", "as_of": between},
        {"population": "detainees", "as_of": "2000-01-01T00:00:00Z"},
    ):
        entries = every(service, "/v1/entries", **params)
        csv_ids = sorted(r["entry_id"] for r in table(service, "entries", **params))
        assert csv_ids == sorted(e["id"] for e in entries), params
        if "as_of" in params and params["as_of"] == between:
            assert later not in csv_ids  # written after the moment: not in the file
        evidence = table(service, "evidence", **params)
        assert sorted((r["entry_id"], r["source_id"], r["start"]) for r in evidence) == sorted(
            (e["id"], ev["source"], str(ev["start"])) for e in entries for ev in e["evidence"]
        ), params


def test_totals_rows_are_the_json_totals_for_the_same_filters(service: Service):
    between, _ = write_between(service)
    for params in (
        {"kind": "released"},
        {"kind": "released", "population": "hostages"},
        {"kind": "released", "population": "hostages", "as_of": between},
        {"kind": "released", "from": "2023-11-26", "to": "2023-11-28"},
        {"kind": "released", "from": "2023-11-28"},
        {"kind": "released", "to": "2023-10-01"},
        {"kind": "released", "party": "Hamas", "as_of": between},
        {"kind": "released", "framework": "parallel_deal"},
        {"kind": "released", "as_of": "2000-01-01T00:00:00Z"},
        {},
    ):
        rows = table(service, "totals", **params)
        series = {(r["population"], r["kind"]) for r in rows}
        for population, kind in series:
            asked = {**params, "population": population, "kind": kind}
            answer = service.public.get("/v1/totals", params=asked).json()
            mine = [r for r in rows if (r["population"], r["kind"]) == (population, kind)]
            assert [
                (r["date"], int(r["cumulative_low"]), r["cumulative_high"], r["entries"])
                for r in mine
            ] == [
                (d["date"], d["cumulative"]["low"], _cell(d["cumulative"]["high"]),
                 ";".join(d["entries"]))
                for d in answer["days"]
            ], asked  # fmt: skip
    released = table(service, "totals", kind="released", population="hostages")
    assert int(released[-1]["cumulative_low"]) >= 73


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)


def test_frictionless_accepts_the_served_package(service: Service):
    url = f"{service.server.base}/v1/export/datapackage.json"
    package = service.public.get("/v1/export/datapackage.json").json()
    assert [r["path"] for r in package["resources"]] == [f"{n}.csv" for n in TABLES]
    assert all(s["path"].startswith(service.server.base) for s in package["sources"])
    checked = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", url], capture_output=True, text=True, timeout=300
    )
    report = json.loads(checked.stdout)
    assert report["valid"], json.dumps(report["tasks"], indent=1)[:4000]
    assert len(report["tasks"]) == len(TABLES)


def test_the_exported_folder_is_the_same_package(service: Service, tmp_path):
    folder = tmp_path / "package"
    exported = subprocess.run(
        [sys.executable, "-m", "exchange_ledger", "export", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LEDGER_DATABASE_URL": service.url},
    )
    assert exported.returncode == 0, exported.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["datapackage.json", *(f"{n}.csv" for n in TABLES)]
    )
    checked = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", str(folder / "datapackage.json")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )
    assert json.loads(checked.stdout)["valid"], checked.stdout[:4000]
    served = service.public.get("/v1/export/entries.csv").content
    assert (folder / "entries.csv").read_bytes() == served
    old = subprocess.run(
        [
            sys.executable,
            "-m",
            "exchange_ledger",
            "export",
            str(tmp_path / "old"),
            "--as-of",
            "2000-01-01T00:00:00Z",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LEDGER_DATABASE_URL": service.url},
    )
    assert old.returncode == 0 and "entries 0" in old.stdout
    assert old.stderr == ""  # a small ledger and no --progress: no bar
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "exchange_ledger",
            "export",
            str(tmp_path / "x"),
            "--as-of",
            "yesterday",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "LEDGER_DATABASE_URL": service.url},
    )
    assert bad.returncode == 2 and "error: as-of:" in bad.stderr


def test_the_export_shows_a_progress_bar_with_the_length_of_every_file(service: Service, tmp_path):
    # click draws the bar only on a terminal, so stderr is a pseudo-terminal here.
    terminal, child = pty.openpty()
    exporting = subprocess.Popen(
        [sys.executable, "-m", "exchange_ledger", "export", str(tmp_path / "bar"), "--progress"],
        stdout=subprocess.PIPE, stderr=child, text=True,
        env={**os.environ, "LEDGER_DATABASE_URL": service.url, "COLUMNS": "120"},
    )  # fmt: skip
    os.close(child)
    drawn = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(terminal)
    assert exporting.wait(timeout=300) == 0
    written = exporting.stdout.read()
    counts = dict(
        part.rsplit(" ", 1) for part in written.split(": ", 1)[1].split(" rows")[0].split(", ")
    )
    screen = drawn.decode("utf-8")
    for name in TABLES:
        length = counts[name]
        assert f"{name}.csv" in screen
        assert f"{length}/{length}" in screen, name  # a length known beforehand, and reached
    assert int(counts["totals"]) > 0
