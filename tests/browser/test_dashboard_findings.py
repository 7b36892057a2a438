"""The dashboard on a ledger with findings: a conflict, daily counts inside a period count, an
open-ended count and more entries than one page holds. Every finding is shown beside the number
it explains, with working buttons, and every list pages through its entries instead of
carrying their ids."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.charts import OPEN_NOTE
from tests.browser.conftest import ARTIFACTS, Tab
from tests.e2e.conftest import Service

pytestmark = pytest.mark.slow

TRUCE = "ent_seed_truce_hostages"
DAILY = (("2023-11-24", 13), ("2023-11-25", 13), ("2023-11-26", 13), ("2023-11-27", 10))
BULK = 105  # more than a page of the drill-down (100)


def post_source(service: Service, text: str) -> dict[str, Any]:
    made = service.editor.post("/v1/sources", json={"text": text})
    assert made.status_code == 201, made.text
    return made.json()


def post_entry(service: Service, **fields: Any) -> str:
    body = {"kind": "released", "population": "hostages", "party": "Hamas",
            "framework": "other", "description": "hostages", **fields}  # fmt: skip
    posted = service.editor.post("/v1/entries", json=body)
    assert posted.status_code == 201, posted.text
    return posted.json()["id"]


@pytest.fixture(scope="module")
def ledger(service: Service) -> dict[str, Any]:
    """The seed ledger, plus: a second report of the truce's hostages that says 49 (a conflict
    with the seed's 50), daily counts 13, 13, 13 and 10 inside it (which agree with the 49, so
    the one reading sets the seed's 50 aside), an at-least count, and BULK entries with no
    nationality stated (reports of 20 one-day events under a framework of their own, so they
    add no finding)."""
    lines = [
        "A later tally said 49 hostages were freed in the first four days.",
        *(f"On {day} {count} hostages were freed." for day, count in DAILY),
        "At least 2 more hostages were freed on Tuesday.",
    ]
    later = post_source(service, "date 2023-11-29\n" + "\n".join(lines) + "\n")
    truce = {"nationality": "Israeli", "framework": "truce_deal"}
    ids: dict[str, Any] = {"source": later["id"]}
    ids["conflicting"] = post_entry(
        service, count=49, period={"start": "2023-11-24", "end": "2023-11-27"}, **truce,
        evidence=[{"source": later["id"], "quote": "49 hostages were freed"}],
    )  # fmt: skip
    ids["daily"] = [
        post_entry(
            service,
            count=count,
            period={"start": day, "end": day},
            **truce,
            evidence=[{"source": later["id"], "quote": f"On {day} {count} hostages were freed"}],
        )
        for day, count in DAILY
    ]
    ids["open"] = post_entry(
        service, count=2, qualifier="at_least", period={"start": "2023-11-28", "end": "2023-11-28"},
        evidence=[{"source": later["id"], "quote": "At least 2 more hostages were freed"}],
    )  # fmt: skip
    groups = "\n".join(f"Group {n}: Hamas freed one hostage." for n in range(BULK))
    bulk = post_source(service, f"date 2023-11-28\n{groups}\n")
    ids["bulk"] = [
        post_entry(
            service,
            count=1,
            framework="parallel_deal",
            period={"start": day, "end": day},
            evidence=[
                {"source": bulk["id"], "sentence": n + 1, "quote": "Hamas freed one hostage"}
            ],
        )
        for n, day in enumerate(f"2023-11-{1 + n % 20:02d}" for n in range(BULK))
    ]
    return ids


def every(service: Service, path: str) -> list[dict[str, Any]]:
    found, page = [], 1
    while True:
        answer = service.public.get(path, params={"page": page, "page_size": 500})
        found += answer.json()
        if 'rel="next"' not in answer.headers.get("Link", ""):
            return found
        page += 1


def listed_in_full(page: Any) -> list[str]:
    """Every entry of the drill-down, pressing "Show more entries" until none follow."""
    page.locator("#drill-entries").wait_for()
    more = page.locator("#drill-body button.more")
    while more.is_visible():
        shown = page.locator("#drill-entries button.entry-open").count()
        more.click()
        page.locator(f"#drill-entries tbody tr:nth-child({shown + 1})").wait_for()
    return [b.get_attribute("data-entry") for b in page.locator("#drill-entries button").all()]


def test_findings_list_real_buttons_that_open_their_entries(tab: Tab, ledger: dict[str, Any]):
    page = tab.open("/", charts=False)
    page.locator("#checks-summary").wait_for()
    assert page.locator("#checks-summary").inner_text().startswith("1 conflict")
    # Beside the number it explains: the headline lists the conflict, linked to its entry in
    # the page's list of findings, which names every entry involved with a button each.
    headline = page.locator("#released-hostages li.finding.conflict")
    assert headline.count() == 1 and "Conflict" in headline.inner_text()
    anchor = headline.locator("a").get_attribute("href")
    conflict = page.locator(anchor)
    assert "[object" not in conflict.inner_text()
    assert "The figures span every reading that sets aside 1 of them" in conflict.inner_text()
    buttons = {b.get_attribute("data-entry") for b in conflict.locator("button.entry-open").all()}
    assert buttons == {TRUCE, ledger["conflicting"], *ledger["daily"]}
    # The others do not state the exchange: the part of them that is the truce's may be 0 to 49.
    assert f"{TRUCE} says 50 (the others imply 0\N{EN DASH}49)" in conflict.inner_text()
    conflict.locator(f"button[data-entry={ledger['conflicting']}]").click()
    mark = page.locator("#evidence-body blockquote mark.quote")
    mark.wait_for()
    assert mark.inner_text() == "49 hostages were freed"
    assert ledger["conflicting"] in page.locator("#evidence-title").inner_text()
    # The entry's own page names the conflict and the readings that set it aside.
    listed = page.locator("#evidence-body li.finding", has_text="Conflict (")
    listed.wait_for()
    assert f"every reading that sets aside 1 of them: {TRUCE}" in listed.inner_text()
    listed.locator(f"button[data-entry={ledger['daily'][-1]}]").click()
    page.locator("#evidence-title", has_text=ledger["daily"][-1]).wait_for()
    assert (
        page.locator("#evidence-body blockquote mark.quote").inner_text()
        == "On 2023-11-27 10 hostages were freed"
    )
    assert tab.errors == []


def test_the_days_behind_a_conflict_name_it_in_the_chart_table(tab: Tab, ledger: dict[str, Any]):
    page = tab.open("/")
    figure = page.locator("#chart-released-hostages")
    figure.locator("summary").click()
    row = figure.locator("tbody tr", has=page.locator("th", has_text="2023-11-25"))
    (link,) = row.locator("td.findings a[href^='#finding-cfl_']").all()
    assert page.locator(link.get_attribute("href")).is_visible()
    assert tab.errors == []


def test_the_evidence_splits_agreeing_from_conflicting_sources(tab: Tab, ledger: dict[str, Any]):
    page = tab.open("/", charts=False)
    page.locator("#checks-summary").wait_for()
    page.locator(f"#checks-body button[data-entry={TRUCE}]").click()
    agree = page.locator("#evidence-body li.agree")
    agree.wait_for()
    assert agree.inner_text().startswith("Sources that agree with this count (2)")
    disagree = page.locator("#evidence-body li.disagree")
    assert disagree.inner_text().startswith("Sources that report a conflicting count (1)")
    assert ledger["source"] in disagree.inner_text() and ledger["source"] not in agree.inner_text()

    page.locator(f"#checks-body button[data-entry={ledger['conflicting']}]").click()
    page.locator("#evidence-title", has_text=ledger["conflicting"]).wait_for()
    page.locator("#evidence-body li.agree").wait_for()
    assert "(1)" in page.locator("#evidence-body li.agree").inner_text()
    assert "(2)" in page.locator("#evidence-body li.disagree").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-findings.png"), full_page=True)


def test_an_open_ended_count_has_its_key_on_the_page_and_in_the_images(
    tab: Tab, service: Service, ledger: dict[str, Any]
):
    page = tab.open("/")
    note = page.locator("#chart-released-hostages .legend-note")
    assert note.is_visible() and OPEN_NOTE in note.inner_text()
    assert page.locator("#chart-released-detainees .legend-note").count() == 0
    assert OPEN_NOTE in page.locator("#vega-released-hostages svg").text_content()
    assert OPEN_NOTE not in page.locator("#vega-nationality svg").text_content()  # no ▲ there
    svg = service.public.get("/v1/charts/released-hostages.svg")
    assert OPEN_NOTE in svg.content.decode("utf-8")
    assert page.locator("#released-hostages .number a").inner_text().endswith("or more")


def test_the_nationality_rows_link_to_a_query_and_page_through_it(
    tab: Tab, service: Service, ledger: dict[str, Any]
):
    html = service.public.get("/").text
    assert "data-entries" not in html  # a query per row, not the ids of its entries
    page = tab.open("/")
    figure = page.locator("#chart-nationality")
    figure.locator("summary").click()
    row = figure.locator(
        "tbody tr", has=page.locator("th", has_text="no nationality reported")
    ).filter(has_text="hostages")
    link = row.locator("a.drill")
    assert "/v1/entries?" in link.get_attribute("href")
    unstated = {
        e["id"]
        for e in every(service, "/v1/entries?population=hostages&kind=released&to=2023-11-28")
        if e["nationality"] is None
    }
    assert len(unstated) > BULK and set(ledger["bulk"]) <= unstated
    assert int(link.inner_text().split()[0]) == len(unstated)
    link.click()
    listed = listed_in_full(page)
    assert sorted(listed) == sorted(unstated)  # every one, once, and only the unstated
    assert tab.errors == []


def test_a_headline_pages_through_every_entry_behind_it(tab: Tab, ledger: dict[str, Any]):
    page = tab.open("/", charts=False)
    detail = page.locator("#released-hostages-detail").inner_text()
    count = int(detail.split(" entr")[0].split()[-1])
    assert count > 100
    page.locator("#released-hostages .number a").click()
    page.locator("#drill-body button.more").wait_for()
    assert f"of {count})" in page.locator("#drill-entries caption").inner_text()
    listed = listed_in_full(page)
    assert len(listed) == len(set(listed)) == count
    assert {TRUCE, ledger["conflicting"], ledger["open"], *ledger["bulk"]} <= set(listed)
