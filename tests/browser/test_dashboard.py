"""The dashboard in Chromium: offline, equal to the JSON routes, every number two clicks from
its sentence, filters and as-of in the URL. The as-of test writes, so it runs last."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, Tab
from tests.e2e.conftest import Service

pytestmark = pytest.mark.slow

CHARTS = (
    "released-hostages",
    "schedule-hostages",
    "released-detainees",
    "schedule-detainees",
    "nationality",
)


def said(interval: dict[str, Any]) -> str:
    """An interval as the page writes it."""
    low, high = interval["low"], interval["high"]
    if high is None:
        return f"{low} or more"
    return str(low) if low == high else f"{low}\N{EN DASH}{high}"


def headline(page: Any, card: str) -> str:
    return page.locator(f"#{card} .number a").inner_text().strip()


def totals(service: Service, query: str) -> dict[str, Any]:
    answer = service.public.get(f"/v1/totals?kind=released&{query}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def still_held(service: Service, query: str = "") -> str:
    parties = service.public.get(f"/v1/still-held?{query}").json()["parties"]
    low = sum(p["total"]["low"] for p in parties)
    highs = [p["total"]["high"] for p in parties]
    return said({"low": low, "high": None if None in highs else sum(highs)})


def test_the_page_loads_offline_without_console_errors(tab: Tab, service: Service):
    page = tab.open("/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert tab.errors == []
    outside = [url for url in tab.requests if not url.startswith(service.server.base + "/")]
    assert outside == []
    assert any(url.endswith("/dashboard/assets/vega.js") for url in tab.requests)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


def test_the_headline_numbers_equal_the_json_routes(tab: Tab, service: Service):
    page = tab.open("/", charts=False)
    for population in ("hostages", "detainees"):
        answer = totals(service, f"population={population}")
        assert headline(page, f"released-{population}") == said(answer["total"])
        detail = page.locator(f"#released-{population}-detail").inner_text()
        assert f"by the end of {answer['days'][-1]['date']}" in detail
        sources = {s for event in answer["events"] for s in event["sources"]}
        assert f"{len(sources)} source" in detail
    assert headline(page, "released-hostages") == "73"
    assert headline(page, "released-detainees") == "150"
    assert headline(page, "still-held-hostages") == still_held(service) == "164"


def test_the_headline_numbers_are_readable_without_javascript(browser: Any, service: Service):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(service.server.base + "/")
        assert headline(page, "released-hostages") == "73"
        assert headline(page, "still-held-hostages") == "164"
        assert page.locator("figure.chart table").count() == len(CHARTS)
    finally:
        context.close()


def test_every_chart_is_drawn_with_marks_and_has_a_data_table(tab: Tab):
    page = tab.open("/")
    for name in CHARTS:
        chart = page.locator(f"#vega-{name} svg")
        assert chart.count() == 1, name
        marks = ".mark-rect path" if name == "nationality" else ".mark-area path, .mark-line path"
        assert chart.locator(marks).count() >= 1, name
        assert page.locator(f"#chart-{name} table th[scope=col]").count() >= 4, name
    assert page.locator("#vega-released-hostages svg .mark-symbol path").count() > 10


def test_a_number_then_an_entry_shows_the_quote_at_its_offsets(tab: Tab, service: Service):
    page = tab.open("/")
    page.locator("#released-hostages .number a").click()
    listed = page.locator("#drill-entries button.entry-open")
    listed.first.wait_for()
    ids = {b.get_attribute("data-entry") for b in listed.all()}
    assert "ent_seed_truce_hostages" in ids
    page.locator("#drill-entries button[data-entry=ent_seed_truce_hostages]").click()
    marks = page.locator("#evidence-body mark.quote")
    marks.first.wait_for()
    entry = service.public.get("/v1/entries/ent_seed_truce_hostages").json()
    quotes = {(e["source"], e["start"], e["end"]): e["quote"] for e in entry["evidence"]}
    seen = set()
    for mark in marks.all():
        source, start, end = (mark.get_attribute(f"data-{n}") for n in ("source", "start", "end"))
        text = service.public.get(f"/v1/sources/{source}/text").content.decode("utf-8")
        assert mark.text_content() == text[int(start) : int(end)]
        assert mark.text_content() == quotes[(source, int(start), int(end))]
        seen.add((source, int(start), int(end)))
    assert seen == set(quotes)  # every piece of evidence, both reports
    assert page.locator("#evidence-body mark.quote").first.is_visible()
    body = page.locator("#evidence-body").inner_text()
    assert "published 2023-11-28" in body
    assert "Sources for this event (2)" in body
    assert tab.errors == []


def test_a_day_in_a_chart_lists_the_entries_covering_it(tab: Tab):
    page = tab.open("/")
    points = page.locator("#vega-released-detainees svg .mark-symbol path")
    points.last.click(force=True)  # the nearest-day overlay sits above the points
    page.locator("#drill-entries").wait_for()
    assert "covering 2023-11-27" in page.locator("#drill-title").inner_text()
    assert page.locator("#drill-entries button[data-entry=ent_seed_truce_detainees]").count() == 1


def test_a_day_in_a_data_table_is_reachable_by_keyboard(tab: Tab):
    page = tab.open("/")
    figure = page.locator("#chart-released-detainees")
    figure.locator("summary").focus()
    page.keyboard.press("Enter")
    link = figure.locator("table a.drill").last
    link.focus()
    page.keyboard.press("Enter")
    page.locator("#drill-entries").wait_for()
    assert page.evaluate("document.activeElement.id") == "drill-title"
    page.locator("#drill-entries button.entry-open").first.focus()
    page.keyboard.press("Enter")
    page.locator("#evidence-body mark.quote").first.wait_for()


def test_conflicts_and_checks_are_shown(tab: Tab, service: Service):
    page = tab.open("/", charts=False)
    page.locator("#checks-summary").wait_for()
    count = service.public.get("/v1/checks").json()["count"]
    summary = page.locator("#checks-summary").inner_text()
    assert ("No conflicts" in summary) == (count == 0)


def test_filters_change_the_numbers_and_live_in_the_url(tab: Tab, service: Service):
    page = tab.open("/", charts=False)
    page.select_option("#filter-population", "detainees")
    page.fill("#filter-to", "2023-11-26")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"population=detainees&to=2023-11-26$"))
    assert page.locator("#released-hostages").count() == 0
    expected = totals(service, "population=detainees&to=2023-11-26")["total"]
    assert headline(page, "released-detainees") == said(expected) == "0\N{EN DASH}150"

    page = tab.open("/?to=2023-11-27")
    answer = totals(service, "population=hostages&to=2023-11-27")
    assert headline(page, "released-hostages") == said(answer["total"]) == "54\N{EN DASH}73"
    assert tab.errors == []

    page = tab.open("/?nationality=Thai", charts=False)
    assert headline(page, "released-hostages") == "17"
    page = tab.open("/?party=Israel", charts=False)
    assert headline(page, "released-detainees") == "150"
    assert headline(page, "released-hostages") == "0"
    assert headline(page, "still-held-hostages") == still_held(service, "party=Israel")


def test_as_of_shows_the_ledger_as_it_stood(tab: Tab, service: Service):
    time.sleep(1.1)  # the picker counts in whole seconds: keep the seed a second behind
    text = "date 2023-11-29\nHamas released 12 hostages on Wednesday, officials said.\n"
    made = service.editor.post("/v1/sources", json={"text": text})
    assert made.status_code == 201, made.text
    added = service.editor.post(
        "/v1/entries",
        json={
            "kind": "released", "population": "hostages", "count": 12,
            "period": {"start": "2023-11-29", "end": "2023-11-29"}, "party": "Hamas",
            "framework": "truce_deal", "description": "hostages",
            "evidence": [{"source": made.json()["id"], "quote": "Hamas released 12 hostages"}],
        },
    )  # fmt: skip
    assert added.status_code == 201, added.text
    page = tab.open("/", charts=False)
    assert headline(page, "released-hostages") == "85"

    recorded = dt.datetime.fromisoformat(added.json()["recorded_at"]).astimezone(dt.UTC)
    before = (recorded - dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    page.fill("#filter-as_of", before)
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"as_of="))
    assert f"as_of={before.replace(':', '%3A')}Z" in page.url
    assert headline(page, "released-hostages") == "73"
    as_of = before + "Z"
    assert said(totals(service, f"population=hostages&as_of={as_of}")["total"]) == "73"

    shared = tab.open(page.url.removeprefix(service.server.base))  # a shared URL reproduces it
    assert headline(shared, "released-hostages") == "73"
    assert shared.locator("#filter-as_of").input_value() == before
    shared.locator("#released-hostages .number a").click()
    shared.locator("#drill-entries").wait_for()
    ids = {b.get_attribute("data-entry") for b in shared.locator("button.entry-open").all()}
    assert added.json()["id"] not in ids
    assert tab.errors == []
