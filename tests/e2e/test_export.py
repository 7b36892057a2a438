"""CSV export and the data package, against the real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pandas

from ledger.publication import TABLES
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
    assert len(sentences) == sum(len(s["sentences"]) for s in every(service, "/v1/sources"))


def test_totals_rows_are_the_json_totals_per_key(service: Service):
    rows = table(service, "totals", population="detainees", party="Israel")
    assert {(r["nationality"], r["framework"]) for r in rows} == {("Palestinian", "truce_deal")}
    days = service.public.get(
        "/v1/totals", params={"population": "detainees", "party": "Israel"}
    ).json()["days"]
    assert [(r["date"], int(r["cumulative_low"]), r["cumulative_high"]) for r in rows] == [
        (d["date"], d["cumulative"]["low"], str(d["cumulative"]["high"])) for d in days
    ]
    clipped = table(
        service, "totals", population="detainees", party="Israel", **{"from": "2023-11-27"}
    )
    assert [(r["date"], r["cumulative_low"]) for r in clipped] == [("2023-11-27", "150")]


def test_a_formula_in_a_description_is_exported_defused(service: Service):
    text = f"date 2023-11-28\nOfficials said 3 hostages were released.\nMarker {uuid.uuid4()}."
    source = service.editor.post("/v1/sources", json={"text": text}).json()
    formula = '=HYPERLINK("http://example.org/x","details")'
    posted = service.editor.post(
        "/v1/entries",
        json={
            "kind": "released",
            "population": "hostages",
            "count": 3,
            "party": "Test party X",
            "period": {"start": "2023-11-27", "end": "2023-11-27"},
            "description": formula,
            "evidence": [{"source": source["id"], "quote": "3 hostages were released"}],
        },
    )
    assert posted.status_code == 201, posted.text
    (row,) = table(service, "entries", party="Test party X")
    assert row["description"] == "'" + formula and row["count"] == "3"
    frame = pandas.read_csv(
        io.StringIO(
            service.public.get("/v1/export/entries.csv", params={"party": "Test party X"}).text
        )
    )
    assert frame["count"].dtype.kind == "i"


def test_filters_and_as_of_give_the_rows_of_the_json_routes(service: Service):
    before = service.public.get("/v1/totals").json()
    moment = max(e["recorded_at"] for e in every(service, "/v1/entries"))
    for params in (
        {"party": "Hamas"},
        {"kind": "captured"},
        {"source": "src_53be30cdb8808ddb"},
        {"from": "2023-11-25", "to": "2023-11-25"},
        {"as_of": moment},
        {"population": "detainees", "as_of": "2000-01-01T00:00:00Z"},
    ):
        json_ids = sorted(e["id"] for e in every(service, "/v1/entries", **params))
        csv_ids = sorted(r["entry_id"] for r in table(service, "entries", **params))
        assert csv_ids == json_ids, params
    assert before["revision"] >= 1


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
    assert len(report["tasks"]) == 5


def test_the_exported_folder_is_the_same_package(service: Service, tmp_path):
    folder = tmp_path / "package"
    exported = subprocess.run(
        [sys.executable, "-m", "ledger", "export", str(folder)],
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
            "ledger",
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
    bad = subprocess.run(
        [sys.executable, "-m", "ledger", "export", str(tmp_path / "x"), "--as-of", "yesterday"],
        capture_output=True,
        text=True,
        env={**os.environ, "LEDGER_DATABASE_URL": service.url},
    )
    assert bad.returncode == 2 and "error: as-of:" in bad.stderr
