"""Every route of API.md over HTTP against the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from openapi_spec_validator import validate

from tests.e2e.conftest import Service

FIRST = "src_1ad57b34380d078e"
SECOND = "src_53be30cdb8808ddb"
PROBLEM = "application/problem+json"


def report(text: str, day: str = "2023-11-28") -> str:
    """A report made up for a test, unique so that each test owns its source."""
    return f"date {day}\n{text}\nTest marker {uuid.uuid4().hex}.\n"


def entry(source: str, quote: str, **changes) -> dict:
    data = {
        "kind": "released",
        "population": "hostages",
        "count": 13,
        "period": {"start": "2023-11-24", "end": "2023-11-24"},
        "party": "Hamas",
        "nationality": "Israeli",
        "framework": "truce_deal",
        "description": "as reported",
        "evidence": [{"source": source, "quote": quote}],
    }
    data.update(changes)
    return data


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status and body["detail"]
    assert "Traceback" not in response.text
    return body


def add_source(service: Service, text: str) -> dict:
    response = service.editor.post("/v1/sources", json={"text": text})
    assert response.status_code == 201, response.text
    return response.json()


# --- meta -------------------------------------------------------------------------------------


def test_health_readiness_openapi_and_docs(service: Service):
    assert service.public.get("/healthz").json() == {"status": "ok"}
    ready = service.public.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    spec = service.public.get("/openapi.json").json()
    validate(spec)
    for path in (
        "/v1/sources",
        "/v1/sources/{source_id}/text",
        "/v1/entries",
        "/v1/entries/{record_id}",
        "/v1/entries/{record_id}/revisions",
        "/v1/terms",
        "/v1/schedule",
        "/v1/totals",
        "/v1/still-held",
        "/v1/checks",
    ):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    docs = service.public.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert "http" not in docs.text.replace("http-equiv", "")  # nothing from another host
    bundle = service.public.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_gets_answer_other_origins_for_dashboards(service: Service):
    response = service.public.get("/v1/totals", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]

    def preflight(method: str) -> str | None:
        answer = service.public.request(
            "OPTIONS",
            "/v1/entries",
            headers={"Origin": "https://example.org", "Access-Control-Request-Method": method},
        )
        return answer.headers.get("Access-Control-Allow-Methods")

    # A read is offered to other origins; a write is not (no POST among the allowed methods,
    # so a browser never sends it).
    assert "GET" in preflight("GET").split(", ") and "POST" not in preflight("GET")
    assert "POST" not in (preflight("POST") or "")


# --- sources ----------------------------------------------------------------------------------


def test_sources_are_stored_once_and_served_byte_for_byte(service: Service):
    text = report("Hamas released 3 hostages on Friday. «Ünïcode» stays.\r\n")
    first = service.editor.post("/v1/sources", json={"text": text, "title": "T"})
    assert first.status_code == 201
    created = first.json()
    assert first.headers["Location"].endswith(f"/v1/sources/{created['id']}")
    again = service.editor.post("/v1/sources", json={"text": text})
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    raw = service.public.get(f"/v1/sources/{created['id']}/text")
    assert raw.content == text.encode("utf-8")
    assert raw.headers["Content-Type"] == "text/plain; charset=utf-8"
    one = service.public.get(f"/v1/sources/{created['id']}").json()
    assert one["published_on"] == "2023-11-28" and one["title"] == "T"
    for sentence in one["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
    sentence = service.public.get(f"/v1/sources/{created['id']}/sentences/1").json()
    assert sentence["text"] == "Hamas released 3 hostages on Friday."
    is_problem(service.public.get(f"/v1/sources/{created['id']}/sentences/99"), 404)
    is_problem(service.public.get("/v1/sources/src_0000000000000000"), 404)


def test_source_problems(service: Service):
    body = is_problem(service.editor.post("/v1/sources", json={"text": "no date line"}), 422)
    assert "published_on" in body["errors"]
    body = is_problem(service.editor.post("/v1/sources", json={"txt": "x"}), 422)
    assert set(body["errors"]) == {"text", "txt"}
    big = "a" * (10 * 1024 * 1024 + 1)
    is_problem(
        service.editor.post("/v1/sources", json={"text": big, "published_on": "2023-11-28"}), 413
    )
    huge = b'{"text": "' + b"a" * (45 * 1024 * 1024) + b'"}'
    is_problem(
        service.editor.post("/v1/sources", data=huge, headers={"Content-Type": "application/json"}),
        413,
    )


# --- writes: auth, content, malformed ------------------------------------------------------------


def test_writes_need_a_known_token_and_the_right_role(service: Service):
    before = service.public.get("/v1/sources").headers["X-Total-Count"]
    body = {"text": report("x"), "published_on": "2023-11-28"}
    response = service.public.post("/v1/sources", json=body)
    is_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    is_problem(
        service.public.post(
            "/v1/sources", json=body, headers={"Authorization": "Bearer elt_unknown"}
        ),
        401,
    )
    is_problem(
        service.public.post(
            "/v1/sources", json=body, headers={"Authorization": "Basic dXNlcjpwYXNz"}
        ),
        401,
    )
    is_problem(service.editor.post("/v1/tokens", json={"role": "editor"}), 403)
    made = service.admin.post("/v1/tokens", json={"role": "editor", "name": "via http"})
    assert made.status_code == 201 and made.json()["token"].startswith("elt_")
    assert service.public.get("/v1/sources").headers["X-Total-Count"] == before


def test_bad_bodies_get_the_documented_status(service: Service):
    headers = {"Content-Type": "application/json"}
    is_problem(service.editor.post("/v1/entries", data="{not json", headers=headers), 400)
    is_problem(service.editor.post("/v1/entries", data=b'{"a": "\xff"}', headers=headers), 400)
    is_problem(
        service.editor.post("/v1/entries", data="[" * 5000 + "]" * 5000, headers=headers), 400
    )
    is_problem(
        service.editor.post(
            "/v1/entries", data="kind=released", headers={"Content-Type": "text/plain"}
        ),
        415,
    )
    is_problem(service.editor.post("/v1/entries"), 415)
    body = is_problem(
        service.editor.post(
            "/v1/entries",
            json={
                "kind": "vanished",
                "population": "hostages",
                "count": -1,
                "period": {"start": "2023-11-27", "end": "2023-11-24"},
                "party": "Hamas",
                "evidence": [],
            },
        ),
        422,
    )
    assert {"kind", "count", "evidence"} <= set(body["errors"])
    is_problem(service.public.request("PATCH", "/v1/entries"), 405)


# --- entries ----------------------------------------------------------------------------------


def test_an_entry_links_a_count_to_its_quote(service: Service):
    source = add_source(service, report("Hamas released 7 hostages to the Red Cross."))
    posted = service.editor.post(
        "/v1/entries",
        json=entry(
            source["id"],
            "Hamas released 7 hostages",
            count=7,
            party="Test party A",
            period={"start": "2023-11-28", "end": "2023-11-28"},
        ),
    )
    assert posted.status_code == 201, posted.text
    created = posted.json()
    assert created["revision"] == 1 and created["author"] == "e2e editor"
    (evidence,) = created["evidence"]
    text = service.public.get(f"/v1/sources/{source['id']}/text").text
    assert text[evidence["start"] : evidence["end"]] == "Hamas released 7 hostages"
    assert evidence["sentence"] == 1 and evidence["published_on"] == "2023-11-28"
    assert posted.headers["ETag"] == f'"{created["id"]}.r1"'
    got = service.public.get(posted.headers["Location"])
    assert got.json() == created
    listed = service.public.get("/v1/entries", params={"party": "Test party A"}).json()
    assert [e["id"] for e in listed] == [created["id"]]
    by_source = service.public.get("/v1/entries", params={"source": source["id"]}).json()
    assert [e["id"] for e in by_source] == [created["id"]]
    totals = service.public.get("/v1/totals", params={"party": "Test party A"}).json()
    assert totals["total"] == {"low": 7, "high": 7}


def test_a_quote_not_in_its_sentence_is_refused_and_nothing_is_written(service: Service):
    before = service.public.get("/v1/entries").headers["X-Total-Count"]
    body = is_problem(
        service.editor.post(
            "/v1/entries", json=entry(FIRST, "Hamas fighters released 60 Israeli women")
        ),
        422,
    )
    assert "evidence[0].quote" in body["errors"]
    body = is_problem(
        service.editor.post(
            "/v1/entries",
            json=entry(
                FIRST,
                "50 Israeli",
                **{"evidence": [{"source": FIRST, "sentence": 3, "quote": "50 Israeli"}]},
            ),
        ),
        422,
    )
    assert "not in sentence 3" in body["errors"]["evidence[0].quote"][0]
    assert service.public.get("/v1/entries").headers["X-Total-Count"] == before


def test_seed_totals_over_http(service: Service):
    def total(**params):
        # Other tests of this module add entries for parties of their own, never the seed's.
        params.setdefault("party", "Hamas")
        return service.public.get("/v1/totals", params=params).json()["total"]

    assert total(population="hostages", kind="released") == {"low": 73, "high": 73}
    assert total(population="detainees", kind="released", party="Israel") == {
        "low": 150,
        "high": 150,
    }
    assert total(kind="rescued") == {"low": 1, "high": 1}
    assert total(kind="found_dead") == {"low": 2, "high": 2}
    assert total(kind="captured") == {"low": 240, "high": 240}
    held = service.public.get("/v1/still-held", params={"party": "Hamas"}).json()
    assert held["parties"][0]["total"] == {"low": 164, "high": 164}
    schedule = service.public.get(
        "/v1/schedule", params={"party": "Hamas", "framework": "truce_deal"}
    ).json()
    expected = {d["date"]: d["expected"] for d in schedule["days"]}
    assert expected["2023-11-27"] == {"low": 50, "high": 50}
    assert expected["2023-11-28"] == {"low": 60, "high": 60}
    assert expected["2023-11-29"] == {"low": 70, "high": 70}


def test_totals_list_their_events_when_asked(service: Service):
    query = {"population": "hostages", "kind": "released", "party": "Hamas"}
    plain = service.public.get("/v1/totals", params=query).json()
    full = service.public.get("/v1/totals", params={**query, "events": "true"}).json()
    assert "events" not in plain
    assert {k: v for k, v in full.items() if k != "events"} == plain
    truce = [e for e in full["events"] if e["scope"]["framework"] == "truce_deal"]
    assert [(e["entries"], e["corroboration"]) for e in truce] == [(["ent_seed_truce_hostages"], 2)]
    # Every entry a day names belongs to an event listed.
    listed = {i for e in full["events"] for i in e["entries"]}
    assert {i for d in full["days"] for i in d["entries"]} <= listed
    # The figures alone: the same days and figures, without each day's list of entries.
    figures = service.public.get("/v1/totals", params={**query, "entries": "false"}).json()
    assert figures["days"] == [
        {k: v for k, v in day.items() if k != "entries"} for day in plain["days"]
    ]
    assert {k: v for k, v in figures.items() if k != "days"} == {
        k: v for k, v in plain.items() if k != "days"
    }


def test_daily_counts_inside_a_period_count_give_each_day_and_keep_the_total(service: Service):
    text = report(
        "Hamas released 13 hostages on Friday. Hamas released 13 hostages on Saturday."
        "\nHamas released 13 hostages on Sunday. Hamas released 11 hostages on Monday."
    )
    source = add_source(service, text)
    days = [
        ("2023-11-24", 13, "Friday"),
        ("2023-11-25", 13, "Saturday"),
        ("2023-11-26", 13, "Sunday"),
        ("2023-11-27", 11, "Monday"),
    ]
    for day, count, name in days:
        response = service.editor.post(
            "/v1/entries",
            json=entry(
                source["id"],
                f"Hamas released {count} hostages on {name}",
                count=count,
                period={"start": day, "end": day},
            ),
        )
        assert response.status_code == 201, response.text
    truce = service.public.get(
        "/v1/totals",
        params={
            "population": "hostages",
            "kind": "released",
            "framework": "truce_deal",
            "party": "Hamas",
        },
    ).json()
    assert [(d["date"], d["cumulative"]) for d in truce["days"]] == [
        ("2023-11-24", {"low": 13, "high": 13}),
        ("2023-11-25", {"low": 26, "high": 26}),
        ("2023-11-26", {"low": 39, "high": 39}),
        ("2023-11-27", {"low": 50, "high": 50}),
    ]
    # The daily counts and the seed's four-day count of the truce are one release of 50.
    assert truce["conflicts"] == []
    everything = service.public.get(
        "/v1/totals", params={"population": "hostages", "kind": "released", "party": "Hamas"}
    ).json()
    assert everything["total"] == {"low": 73, "high": 73}


def test_a_conflict_gives_a_range_and_is_listed_in_checks(service: Service):
    text = report("Officials said 5 detainees were freed. Another source said 6 detainees.")
    source = add_source(service, text)
    common = {
        "population": "detainees",
        "party": "Test party C",
        "nationality": None,
        "period": {"start": "2023-11-26", "end": "2023-11-26"},
    }
    ids = []
    for count, quote in ((5, "5 detainees were freed"), (6, "6 detainees")):
        response = service.editor.post(
            "/v1/entries", json=entry(source["id"], quote, count=count, **common)
        )
        ids.append(response.json()["id"])
    totals = service.public.get("/v1/totals", params={"party": "Test party C"}).json()
    assert totals["total"] == {"low": 5, "high": 6}
    (conflict,) = totals["conflicts"]
    assert sorted(conflict["entries"]) == sorted(ids)
    # findings=false: the same figures (their ranges still show the conflict), without the
    # findings; with entries=false too, the days hold the figures a chart needs and nothing else.
    query = {"party": "Test party C", "findings": "false"}
    figures = service.public.get("/v1/totals", params=query).json()
    assert figures == {
        **{k: v for k, v in totals.items() if k not in ("conflicts", "implied", "checks")},
        "days": [{k: v for k, v in d.items() if k != "findings"} for d in totals["days"]],
    }
    assert conflict["id"] in totals["days"][0]["findings"]
    assert conflict["readings"] == [[ids[0]], [ids[1]]] or conflict["readings"] == [
        [ids[1]],
        [ids[0]],
    ]
    bare = service.public.get("/v1/totals", params={**query, "entries": "false"}).json()
    assert [set(day) for day in bare["days"]] == [{"date", "daily", "cumulative", "approx"}]
    checks = service.public.get("/v1/checks").json()
    assert any(sorted(c["entries"]) == sorted(ids) for c in checks["conflicts"])


def test_a_reported_range_is_counted_as_its_range_and_named_so(service: Service):
    text = report("Between 30 and 40 detainees were freed, officials said. A guard said 45.")
    source = add_source(service, text)
    common = {"population": "detainees", "party": "Test party R", "nationality": None}
    ranged = service.editor.post(
        "/v1/entries",
        json=entry(source["id"], "Between 30 and 40 detainees were freed", count=30,
                   qualifier="between", count_high=40, **common),
    )  # fmt: skip
    assert ranged.status_code == 201, ranged.text
    assert (ranged.json()["qualifier"], ranged.json()["count_high"]) == ("between", 40)
    totals = service.public.get("/v1/totals", params={"party": "Test party R"}).json()
    assert totals["total"] == {"low": 30, "high": 40} and totals["conflicts"] == []
    # A range upside down is refused, naming the field, and writes nothing.
    upside_down = entry(source["id"], "Between 30 and 40 detainees were freed", count=40,
                        qualifier="between", count_high=30, **common)  # fmt: skip
    body = is_problem(service.editor.post("/v1/entries", json=upside_down), 422)
    assert "count_high" in body["errors"]
    # A report outside the range conflicts with it, and the conflict gives the range whole.
    other = service.editor.post(
        "/v1/entries", json=entry(source["id"], "A guard said 45", count=45, **common)
    )
    assert other.status_code == 201, other.text
    (conflict,) = service.public.get("/v1/totals", params={"party": "Test party R"}).json()[
        "conflicts"
    ]
    stated = {r["entry"]: r["stated"] for r in conflict["reports"]}
    assert stated[ranged.json()["id"]] == {"low": 30, "high": 40}
    findings = service.public.get("/v1/export/findings.csv", params={"party": "Test party R"}).text
    assert f"{ranged.json()['id']} states 30 to 40" in findings


def test_revise_with_if_match_and_as_of_before_the_correction(service: Service):
    source = add_source(service, report("Hamas released 9 hostages, then a correction said 8."))
    posted = service.editor.post(
        "/v1/entries",
        json=entry(source["id"], "Hamas released 9 hostages", count=9, party="Test party D"),
    )
    created, etag = posted.json(), posted.headers["ETag"]
    before_correction = dt.datetime.now(dt.UTC).isoformat()
    path = f"/v1/entries/{created['id']}"
    change = entry(
        source["id"],
        "said 8",
        count=8,
        party="Test party D",
        reason="the later report corrects the count",
    )
    is_problem(service.editor.put(path, json=change), 428)
    is_problem(service.editor.put(path, json=change, headers={"If-Match": '"ent_x.r1"'}), 412)
    revised = service.other_editor.put(path, json=change, headers={"If-Match": etag})
    assert revised.status_code == 200, revised.text
    assert revised.json()["revision"] == 2 and revised.json()["author"] == "e2e other_editor"
    is_problem(service.editor.put(path, json=change, headers={"If-Match": etag}), 412)
    now = service.public.get("/v1/totals", params={"party": "Test party D"}).json()
    then = service.public.get(
        "/v1/totals", params={"party": "Test party D", "as_of": before_correction}
    ).json()
    assert (now["total"]["low"], then["total"]["low"]) == (8, 9)
    assert service.public.get(path, params={"as_of": before_correction}).json()["count"] == 9
    history = service.public.get(f"{path}/revisions").json()
    assert [(r["revision"], r["count"]) for r in history] == [(1, 9), (2, 8)]
    assert history[1]["reason"] == "the later report corrects the count"


def test_retraction_is_a_revision_and_editors_retract_only_their_own(service: Service):
    source = add_source(service, report("Hamas released 4 hostages by mistake of the desk."))
    created = service.editor.post(
        "/v1/entries",
        json=entry(source["id"], "Hamas released 4 hostages", count=4, party="Test party E"),
    ).json()
    path = f"/v1/entries/{created['id']}"
    is_problem(service.other_editor.delete(path, params={"reason": "not mine"}), 403)
    is_problem(service.editor.delete(path), 422)
    retracted = service.editor.delete(path, params={"reason": "entered twice"})
    assert retracted.status_code == 200 and retracted.json()["retracted"] is True
    assert service.public.get("/v1/totals", params={"party": "Test party E"}).json()["total"] == {
        "low": 0,
        "high": 0,
    }
    assert service.public.get(path).json()["retracted"] is True
    assert len(service.public.get(f"{path}/revisions").json()) == 2
    # A second retraction contradicts the entry's state: 409, and no third revision.
    again = is_problem(service.admin.delete(path, params={"reason": "entered twice"}), 409)
    assert again["type"] == "/problems/conflict" and "retracted already" in again["detail"]
    assert len(service.public.get(f"{path}/revisions").json()) == 2
    is_problem(
        service.editor.delete("/v1/entries/ent_seed_captured", params={"reason": "test"}), 403
    )


def test_an_editor_cannot_take_over_a_record_by_revising_it(service: Service):
    """The attack: another editor's no-op PUT made the record theirs to DELETE, and a PUT
    undid an admin's retraction."""
    source = add_source(service, report("Hamas released 6 hostages, the desk said."))
    body = entry(source["id"], "Hamas released 6 hostages", count=6, party="Test party O")
    created = service.editor.post("/v1/entries", json=body).json()
    path = f"/v1/entries/{created['id']}"
    revised = service.other_editor.put(
        path, json={**body, "reason": "no change"}, headers={"If-Match": f'"{created["id"]}.r1"'}
    )
    assert revised.status_code == 200 and revised.json()["author"] != created["author"]
    is_problem(service.other_editor.delete(path, params={"reason": "mine now"}), 403)
    assert service.admin.delete(path, params={"reason": "not in the report"}).status_code == 200
    undo = service.editor.put(
        path, json={**body, "reason": "undo"}, headers={"If-Match": f'"{created["id"]}.r3"'}
    )
    assert "only an admin may revise it back" in is_problem(undo, 403)["detail"]
    assert service.public.get(path).json()["retracted"] is True
    taken = is_problem(
        service.admin.post("/v1/tokens", json={"role": "admin", "name": "seed"}), 422
    )
    assert "is taken" in str(taken)


def test_a_look_alike_name_is_the_same_key(service: Service):
    source = add_source(service, report("Hamas released 3 hostages, a spokesman said."))
    body = entry(source["id"], "Hamas released 3 hostages", count=3, party="\uff34est party L")
    stored = service.editor.post("/v1/entries", json=body).json()
    assert stored["party"] == "Test party L"
    for spelling in ("Test party L", "\uff34est  party L", "Test party \uff2c"):
        found = service.public.get("/v1/entries", params={"party": spelling}).json()
        assert [e["id"] for e in found] == [stored["id"]], spelling


def test_sources_are_listed_without_their_sentences_by_page_and_as_of(service: Service):
    """The attack: one large report made GET /v1/sources 8.4 MB of sentences."""
    first = service.public.get("/v1/sources", params={"page_size": 1})
    listed = first.json()
    assert len(listed) == 1 and "sentences" not in listed[0] and "text" not in listed[0]
    whole = service.public.get(f"/v1/sources/{listed[0]['id']}").json()
    assert listed[0]["sentence_count"] == len(whole["sentences"]) > 0
    assert 'rel="next"' in first.headers["Link"]
    again = service.public.get(
        "/v1/sources", params={"page_size": 1}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    before = service.public.get(
        "/v1/sources", params={"as_of": listed[0]["recorded_at"], "page_size": 100}
    ).json()
    assert [s["id"] for s in before] == [listed[0]["id"]]  # none stored later is listed
    nothing = service.public.get("/v1/sources", params={"as_of": "2000-01-01T00:00:00Z"})
    assert nothing.json() == [] and nothing.headers["X-Total-Count"] == "0"


def test_a_parameter_a_route_does_not_take_is_refused(service: Service):
    for path, parameter in (
        ("/v1/totals?bogus=1", "bogus"),
        ("/v1/entries?natinality=Thai", "natinality"),
        ("/v1/export/entries.csv?partie=Hamas", "partie"),
        ("/v1/checks?as_off=2024-01-01T00:00:00Z", "as_off"),
    ):
        refused = is_problem(service.public.get(path), 422)
        assert parameter in refused["errors"] and parameter in refused["detail"], path
    assert service.public.get("/v1/entries?nationality=Thai&page=1").status_code == 200


def test_idempotent_retries_write_once(service: Service):
    source = add_source(service, report("Hamas released 2 hostages at the crossing."))
    body = entry(source["id"], "Hamas released 2 hostages", count=2, party="Test party F")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    answers = [service.editor.post("/v1/entries", json=body, headers=key) for _ in range(6)]
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert all(a.headers.get("Idempotent-Replayed") == "true" for a in answers[1:])
    listed = service.public.get("/v1/entries", params={"party": "Test party F"}).json()
    assert len(listed) == 1
    is_problem(service.editor.post("/v1/entries", json={**body, "count": 3}, headers=key), 422)
    bad_key = {"Idempotency-Key": "two words"}
    is_problem(service.editor.post("/v1/entries", json=body, headers=bad_key), 422)
    # The same key from another token is another request.
    theirs = service.other_editor.post("/v1/entries", json=body, headers=key)
    assert theirs.status_code == 201 and theirs.json()["id"] != answers[0].json()["id"]


def test_etags_answer_304_until_the_ledger_changes(service: Service):
    first = service.public.get("/v1/totals")
    etag = first.headers["ETag"]
    again = service.public.get("/v1/totals", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    one = service.public.get("/v1/entries/ent_seed_captured")
    assert (
        service.public.get(
            "/v1/entries/ent_seed_captured", headers={"If-None-Match": one.headers["ETag"]}
        ).status_code
        == 304
    )
    text = service.public.get(f"/v1/sources/{FIRST}/text")
    assert (
        service.public.get(
            f"/v1/sources/{FIRST}/text", headers={"If-None-Match": text.headers["ETag"]}
        ).status_code
        == 304
    )
    add_source(service, report("A report that changes the ledger's revision."))
    changed = service.public.get("/v1/totals", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def walk_pages(service: Service, path: str, params: dict, key: str = "id") -> list:
    """Follow a list's Link headers from its first page to its last; every item once."""
    first = service.public.get(path, params=params)
    assert first.status_code == 200, first.text
    total = int(first.headers["X-Total-Count"])
    links = requests_links(first.headers["Link"])
    assert set(links) >= {"first", "last"} and "prev" not in links
    assert ("next" in links) == (total > params["page_size"])
    for name, value in params.items():
        assert f"{name}={value}" in links["last"]
    seen = [item[key] for item in first.json()]
    url, pages = links.get("next"), 1
    while url:
        page = service.public.get(url.removeprefix(service.server.base))
        page_links = requests_links(page.headers["Link"])
        assert "prev" in page_links and page.headers["X-Total-Count"] == str(total)
        seen += [item[key] for item in page.json()]
        url, pages = page_links.get("next"), pages + 1
    assert len(seen) == total and pages == -(-total // params["page_size"])
    return seen


def test_lists_are_paginated_with_link_headers(service: Service):
    seen = walk_pages(service, "/v1/entries", {"page_size": 2, "kind": "released"})
    assert len(seen) >= 6 and len(seen) == len(set(seen))
    sources = walk_pages(service, "/v1/sources", {"page_size": 1})
    assert {FIRST, SECOND} <= set(sources) and len(sources) == len(set(sources))
    terms = walk_pages(service, "/v1/terms", {"page_size": 2})
    assert len(terms) >= 5 and len(terms) == len(set(terms))
    # Three revisions of one entry, a page each.
    source = add_source(service, report("Hamas released 6 hostages, a figure later doubted."))
    posted = service.editor.post(
        "/v1/entries",
        json=entry(source["id"], "Hamas released 6 hostages", count=6, party="Test party P"),
    )
    path = f"/v1/entries/{posted.json()['id']}"
    change = entry(
        source["id"], "Hamas released 6 hostages", count=6, party="Test party P", reason="typo"
    )
    revised = service.editor.put(path, json=change, headers={"If-Match": posted.headers["ETag"]})
    assert revised.status_code == 200, revised.text
    assert service.editor.delete(path, params={"reason": "doubted"}).status_code == 200
    revisions = walk_pages(service, f"{path}/revisions", {"page_size": 1}, key="revision")
    assert revisions == [1, 2, 3]
    is_problem(service.public.get("/v1/entries", params={"page_size": 100000}), 422)


def test_terms_notes_and_queries_as_of(service: Service):
    terms = service.public.get("/v1/terms").json()
    assert len(terms) >= 5 and all(t["evidence"] for t in terms)
    notes = service.public.get("/v1/notes").json()
    assert {n["id"] for n in notes} >= {"ctx_seed_killed_october_7"}
    source = add_source(service, report("The mediator said 12 hostages a day would be freed."))
    term = service.editor.post(
        "/v1/terms",
        json={
            "exchange": "exc_nov2023_truce",
            "population": "hostages",
            "party": "Test party G",
            "count": 12,
            "per": "day",
            "period": {"start": "2023-12-01", "end": "2023-12-02"},
            "evidence": [{"source": source["id"], "quote": "12 hostages a day"}],
        },
    )
    assert term.status_code == 201, term.text
    schedule = service.public.get("/v1/schedule", params={"party": "Test party G"}).json()
    assert [d["expected"]["low"] for d in schedule["days"]] == [12, 24]
    path = term.headers["Location"].removeprefix(service.server.base)
    assert service.public.get(path).json()["count"] == 12
    revised = service.editor.put(
        path,
        headers={"If-Match": term.headers["ETag"]},
        json={
            "exchange": "exc_nov2023_truce",
            "population": "hostages",
            "party": "Test party G",
            "count": 10,
            "per": "day",
            "qualifier": "at_least",
            "period": {"start": "2023-12-01", "end": "2023-12-02"},
            "evidence": [{"source": source["id"], "quote": "12 hostages a day"}],
            "reason": "the mediator's wording is a minimum",
        },
    )
    assert revised.status_code == 200, revised.text
    schedule = service.public.get("/v1/schedule", params={"party": "Test party G"}).json()
    assert [d["expected"] for d in schedule["days"]] == [
        {"low": 10, "high": None},
        {"low": 20, "high": None},
    ]
    retracted = service.admin.delete(path, json={"reason": "withdrawn"})
    assert retracted.status_code == 200 and retracted.json()["retracted"] is True
    assert service.public.get("/v1/schedule", params={"party": "Test party G"}).json()["days"] == []
    assert [r["revision"] for r in service.public.get(f"{path}/revisions").json()] == [1, 2, 3]
    sentences = service.public.get(f"/v1/sources/{source['id']}/sentences").json()
    assert [s["n"] for s in sentences] == list(range(len(sentences)))
    long_ago = "2000-01-01T00:00:00Z"
    assert service.public.get("/v1/entries", params={"as_of": long_ago}).json() == []
    assert service.public.get("/v1/totals", params={"as_of": long_ago}).json()["days"] == []
    is_problem(service.public.get("/v1/totals", params={"as_of": "2023-11-28T12:00:00"}), 422)


def requests_links(header: str) -> dict[str, str]:
    links = {}
    for part in header.split(","):
        url, rel = part.split(";")
        links[rel.strip().split("=")[1].strip('"')] = url.strip().strip("<>")
    return links


def test_problem_types_resolve(service: Service):
    body = is_problem(service.public.get("/v1/entries/ent_nope"), 404)
    described = service.public.get(body["type"]).json()
    assert described["type"] == body["type"] and described["description"]
    checks = json.loads(service.public.get("/v1/checks").text)
    assert checks["count"] == len(checks["conflicts"]) + len(checks["mismatches"])
    assert checks["chain"]["seq"] == checks["revision"] and len(checks["chain"]["sha256"]) == 64
    before_any_write = service.public.get("/v1/checks", params={"as_of": "2000-01-01T00:00:00Z"})
    assert before_any_write.json() == {
        "as_of": "2000-01-01T00:00:00+00:00",
        "revision": 0,
        "chain": None,
        "count": 0,
        "conflicts": [],
        "implied": [],
        "mismatches": [],
    }


@pytest.mark.parametrize(
    "path",
    [
        "/v1/entries/..%2F..%2Fetc%2Fpasswd",
        "/v1/sources/%00",
        "/v1/entries/ent_%00",
        "/v1/terms/%00/revisions",
        "/v1/sources/..%2f/text",
    ],
)
def test_odd_ids_are_not_found(service: Service, path: str):
    # The request is well formed; its id names nothing, so 404 (not 400).
    is_problem(service.public.get(path), 404)


def test_racing_retries_of_one_key_write_once(service: Service):
    from concurrent.futures import ThreadPoolExecutor

    source = add_source(service, report("Hamas released 1 hostage at dawn, officials said."))
    body = entry(source["id"], "Hamas released 1 hostage", count=1, party="Test party H")
    key = {"Idempotency-Key": f"race-{uuid.uuid4()}"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda _: service.editor.post("/v1/entries", json=body, headers=key), range(16)
            )
        )
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    listed = service.public.get("/v1/entries", params={"party": "Test party H"}).json()
    assert len(listed) == 1
