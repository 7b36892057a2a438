"""The dashboard in Chromium: offline, equal to the JSON routes, every number two clicks from
its sentence, filters and as-of in the URL. The as-of test writes, so it runs last."""

from __future__ import annotations

import datetime as dt
import re
import time
from html.parser import HTMLParser
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


class Scripts(HTMLParser):
    """The <script> elements of a page, by their src (None: inline)."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.sources.append(dict(attrs).get("src"))


def test_the_page_admits_only_scripts_of_this_origin_and_no_eval(service: Service):
    answer = service.public.get("/")
    policy = answer.headers["Content-Security-Policy"]
    script_src = policy.split("script-src")[1].split(";")[0].split()
    assert script_src == ["'self'"]  # no 'unsafe-eval', no 'unsafe-inline', no other origin
    scripts = Scripts()
    scripts.feed(answer.text)
    assert scripts.sources and None not in scripts.sources  # every script has a src
    assert all(src.startswith("/") for src in scripts.sources)


def test_the_page_loads_offline_without_console_errors(tab: Tab, service: Service):
    page = tab.open("/")
    assert page.locator("html").get_attribute("lang") == "en"
    # Under a CSP without 'unsafe-eval', a Function() call would be refused and logged here.
    assert tab.errors == []
    assert tab.warnings == []  # e.g. Vega-Lite dropping a fit it cannot honour
    outside = [url for url in tab.requests if not url.startswith(service.server.base + "/")]
    assert outside == []
    assert any(url.endswith("/dashboard/assets/vega.js") for url in tab.requests)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


def test_the_headline_numbers_equal_the_json_routes(tab: Tab, service: Service):
    page = tab.open("/", charts=False)
    for population in ("hostages", "detainees"):
        answer = totals(service, f"population={population}&events=true")
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
        # Each mark kind on its own: a chart drawing the line but not the band fails.
        marks = (
            (".mark-rect path",)
            if name == "nationality"
            else (".mark-area path", ".mark-line path")
        )
        for mark in marks:
            assert chart.locator(mark).count() >= 1, (name, mark)
        assert page.locator(f"#chart-{name} table th[scope=col]").count() >= 4, name
    assert page.locator("#vega-released-hostages svg .mark-symbol path").count() > 10


def test_the_schedule_chart_writes_each_days_verdict(tab: Tab, service: Service):
    page = tab.open("/")
    for population in ("hostages", "detainees"):
        days = service.public.get(f"/v1/schedule?population={population}&kind=released").json()[
            "days"
        ]
        expected = [d["status"] for d in days if d["expected"] is not None]
        drawn = page.locator(
            f"#vega-schedule-{population} svg .mark-text.role-mark text"
        ).all_text_contents()
        assert drawn == expected and expected, population


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
    assert "Sources that agree with this count (2)" in body
    assert "conflicting count" not in body  # no other report of this event
    assert tab.errors == []


def listed(page: Any) -> set[str]:
    """The entries the drill-down lists, once it has listed them."""
    page.locator("#drill-entries").wait_for()
    return {b.get_attribute("data-entry") for b in page.locator("#drill-entries button").all()}


def test_a_day_in_a_chart_lists_the_entries_its_running_total_is_built_from(tab: Tab):
    page = tab.open("/")
    points = page.locator("#vega-released-detainees svg .mark-symbol path")
    points.last.click(force=True)  # the nearest-day overlay sits above the points
    assert listed(page) == {"ent_seed_truce_detainees"}
    title = page.locator("#drill-title").inner_text()
    assert "by the end of 2023-11-27" in title and "running total is built from" in title

    # Monday's 54 certain hostages include 4 released weeks before: their entry is listed.
    page = tab.open("/")
    figure = page.locator("#chart-released-hostages")
    figure.locator("summary").click()
    row = figure.locator("tbody tr", has=page.locator("th", has_text="2023-11-27"))
    assert row.locator("td").first.inner_text() == "54"
    row.locator("a[data-view=built]").click()
    built = listed(page)
    assert {"ent_seed_prior_released", "ent_seed_truce_hostages"} <= built
    assert int(row.locator("a[data-view=built]").inner_text().split()[0]) == len(built)
    # The other view: only the entries whose period covers that day.
    page.locator("#drill-body button.view", has_text="covering that day only").click()
    page.locator("#drill-title", has_text="covers").wait_for()
    covering = listed(page)
    assert "ent_seed_truce_hostages" in covering and "ent_seed_prior_released" not in covering
    assert "covers 2023-11-27" in page.locator("#drill-title").inner_text()


def test_hovering_a_point_shows_its_day_and_interval(tab: Tab, service: Service):
    """The attack pass read "day undefined / count undefined" in the tooltip and a millisecond
    timestamp in the point's aria-label."""
    page = tab.open("/")
    points = page.locator("#vega-released-hostages svg .mark-symbol path")
    points.last.wait_for(state="attached")
    day = totals(service, "population=hostages")["days"][-2]
    point = points.nth(points.count() - 2)
    label = point.get_attribute("aria-label")
    interval = said(day["cumulative"])
    assert f"day: {day['date']}" in label and f"count: {interval}" in label, label
    assert not re.search(r"\d{12}", label), label
    point.hover(force=True)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible")
    shown = tooltip.inner_text()
    assert "undefined" not in shown
    assert day["date"] in shown and interval in shown, shown


def tab_to(page: Any, selector: str, presses: int = 400) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def test_a_day_in_a_data_table_is_reachable_by_keyboard(tab: Tab):
    page = tab.open("/")
    tab_to(page, "#chart-released-detainees summary")
    page.keyboard.press("Enter")  # opens the data table
    tab_to(page, "#chart-released-detainees table a.drill[data-view=built]")
    page.keyboard.press("Enter")
    page.locator("#drill-entries").wait_for()
    assert page.evaluate("document.activeElement.id") == "drill-title"
    tab_to(page, "#drill-entries button.entry-open")
    page.keyboard.press("Enter")
    page.locator("#evidence-body mark.quote").first.wait_for()


def test_conflicts_and_implied_counts_are_shown(tab: Tab, service: Service):
    page = tab.open("/", charts=False)
    page.locator("#checks-summary").wait_for()
    checks = service.public.get("/v1/checks").json()
    summary = page.locator("#checks-summary").inner_text()
    assert summary.startswith(f"{len(checks['conflicts'])} conflict")
    assert f"{len(checks['implied'])} implied count" in summary
    # Beside the hostages' number: the seed's counts whose days no report gives.
    behind = page.locator("#released-hostages li.finding.implied")
    assert behind.count() >= 1
    target = page.locator(behind.first.locator("a").get_attribute("href"))
    assert "on a day from" in target.inner_text() and target.locator("button.entry-open").count()
    assert tab.errors == []


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

    # 17 Thais, and the 4 released before the truce, whose nationality no report gives.
    page = tab.open("/?nationality=Thai", charts=False)
    assert headline(page, "released-hostages") == "17\N{EN DASH}21"
    page = tab.open("/?party=Israel", charts=False)
    assert headline(page, "released-detainees") == "150"
    assert headline(page, "released-hostages") == "0"
    assert headline(page, "still-held-hostages") == still_held(service, "party=Israel")


def test_a_headline_under_a_date_range_names_the_day_and_entries_it_stands_on(tab: Tab, service):
    page = tab.open("/?from=2023-11-28", charts=False)
    answer = totals(service, "population=detainees&from=2023-11-28")
    assert answer["days"] == []  # nothing of the detainees' is reported from that day on
    assert headline(page, "released-detainees") == said(answer["total"]) == "150"
    detail = page.locator("#released-detainees-detail").inner_text()
    assert "by the end of 2023-11-27" in detail and "no entry matches" not in detail
    assert "2 sources" in detail and "1 entry" in detail
    note = page.locator("#released-detainees .note").inner_text()
    assert "Nothing is reported from 2023-11-28 on" in note
    page.locator("#released-detainees .number a").click()
    assert listed(page) == {"ent_seed_truce_detainees"}

    hostages = page.locator("#released-hostages-detail").inner_text()
    assert "by the end of 2023-11-28" in hostages
    assert (
        "counts releases before 2023-11-28 too"
        in page.locator("#released-hostages .note").inner_text()
    )
    entries = int(re.search(r"(\d+) entr", hostages).group(1))
    page.locator("#released-hostages .number a").click()
    page.locator("#drill-title", has_text="Hostages").wait_for()
    assert len(listed(page)) == entries


def test_the_schedule_says_it_cannot_filter_by_nationality(tab: Tab):
    page = tab.open("/?nationality=Thai")
    note = page.locator("#chart-schedule-hostages .chart-note")
    assert note.is_visible() and "Not filtered by nationality (Thai)" in note.inner_text()
    drawn = page.locator("#vega-schedule-hostages svg").text_content()
    assert "Not filtered by nationality (Thai)" in drawn  # the image says it too
    assert page.locator("#chart-released-hostages .chart-note").count() == 0
    assert tab.errors == []


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
    # The revision the page names is the ledger's at that moment, not the current one.
    then = service.public.get(f"/v1/checks?as_of={as_of}").json()["revision"]
    now = service.public.get("/v1/checks").json()["revision"]
    assert then < now
    assert f"(revision {then})" in page.locator("#numbers .status").inner_text()

    shared = tab.open(page.url.removeprefix(service.server.base))  # a shared URL reproduces it
    assert headline(shared, "released-hostages") == "73"
    assert shared.locator("#filter-as_of").input_value() == before
    shared.locator("#released-hostages .number a").click()
    shared.locator("#drill-entries").wait_for()
    ids = {b.get_attribute("data-entry") for b in shared.locator("button.entry-open").all()}
    assert added.json()["id"] not in ids
    assert tab.errors == []
