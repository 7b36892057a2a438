"""A newcomer records a truce as it was reported, over HTTP: the reports, the exchange, every
statement as the reports give it (aggregates, breakdowns, running totals, an overnight round).
The totals give the published figures day by day; the wrong report is shown as the conflict it
would add before it is saved (a dry run), and listed once it is. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.e2e.conftest import Service

FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "truce_2023"
EXCHANGE = "exc_truce_2023"


def load(name: str) -> Any:
    return yaml.safe_load((FOLDER / name).read_text(encoding="utf-8"))


def body(item: dict[str, Any], sources: dict[str, str]) -> dict[str, Any]:
    """A curated record as an API body: its fields, the sources named by their ids."""
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in item.items()}
    for name in ("period",):
        if name in data:
            data[name] = {k: v.isoformat() for k, v in item[name].items()}
    data["evidence"] = [{**e, "source": sources[e["source"]]} for e in item["evidence"]]
    data.pop("id", None)
    return data


def recorded(service: Service) -> tuple[dict[str, str], dict[str, Any]]:
    """Post the fixture's reports, exchange and entries (all but the wrong one); the ids the
    service gave each entry, and the wrong entry's body."""
    sources = {}
    for item in load("sources.yaml"):
        text = (FOLDER / item["file"]).read_text(encoding="utf-8")
        posted = service.editor.post("/v1/sources", json={"text": text, "title": item["title"]})
        assert posted.status_code in (200, 201), posted.text
        sources[item["file"]] = posted.json()["id"]
    curated = load("ledger.yaml")
    (exchange,) = curated["exchanges"]
    made = service.editor.post(
        "/v1/exchanges", json={**body(exchange, sources), "id": exchange["id"]}
    )
    assert made.status_code == 201, made.text
    (wrong,) = load("expected.yaml")["wrong_entries"]
    ids = {}
    for item in curated["entries"]:
        if item["id"] == wrong:
            wrong_body = body(item, sources)
            continue
        posted = service.editor.post("/v1/entries", json=body(item, sources))
        assert posted.status_code == 201, (item["id"], posted.text)
        ids[item["id"]] = posted.json()["id"]
    return ids, wrong_body


def cumulative(service: Service, population: str) -> list[tuple[str, int, int | None]]:
    answer = service.public.get(
        "/v1/totals",
        params={"population": population, "kind": "released", "exchange": EXCHANGE},
    ).json()
    return [(d["date"], d["cumulative"]["low"], d["cumulative"]["high"]) for d in answer["days"]]


def test_a_truce_recorded_as_reported_gives_the_published_figures(service: Service):
    ids, wrong = recorded(service)
    expected = load("expected.yaml")
    for population, days in expected["cumulative"].items():
        assert cumulative(service, population) == [
            (d["date"].isoformat(), d["low"], d["high"]) for d in days
        ], population

    # Before saving it, the dry run says what the wrong running total of Thais would do: a
    # conflict naming it and the reports it cannot hold with; nothing is written.
    before = service.public.get("/v1/checks").json()
    preview = service.editor.post("/v1/entries", params={"dry_run": "true"}, json=wrong)
    assert preview.status_code == 200, preview.text
    would = preview.json()
    assert would["dry_run"] is True and would["entry"]["count"] == 20
    (conflict,) = would["conflicts"]
    new_id = would["entry"]["id"]
    assert new_id in conflict["entries"] and ids["ent_t23_thai_total"] in conflict["entries"]
    assert conflict["readings"] == [[new_id]]
    said = {r["entry"]: r for r in conflict["reports"]}
    assert said[new_id]["implied"] == {"low": 19, "high": 19}
    assert service.public.get("/v1/checks").json() == before

    saved = service.editor.post("/v1/entries", json=wrong)
    assert saved.status_code == 201, saved.text
    listed = [
        c for c in service.public.get("/v1/checks").json()["conflicts"]
        if saved.json()["id"] in c["entries"]
    ]  # fmt: skip
    assert len(listed) == 1 and listed[0]["readings"] == [[saved.json()["id"]]]
    # It decides nothing: every figure is what it was without it.
    assert cumulative(service, "hostages")[-1] == ("2023-11-30", 105, 105)
    findings = service.public.get(
        "/v1/export/findings.csv", params={"exchange": EXCHANGE, "population": "hostages"}
    )
    assert listed[0]["id"] in findings.text and saved.json()["id"] in findings.text
