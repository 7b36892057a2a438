"""Every GET carries an ETag and answers If-None-Match with 304; an answer about an earlier
moment (as_of) is the same bytes, revision included, however the ledger changed since. Over
HTTP against the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.e2e.conftest import Service
from tests.e2e.test_api import FIRST, add_source, entry, report

# A value for every path parameter of the spec, naming something the seed ledger holds.
SAMPLES = {
    "source_id": FIRST,
    "n": "0",
    "name": "released-hostages",
    "fmt": "json",
    "table": "entries",
    "slug": "not-found",
}
RECORDS = {
    "entries": "ent_seed_captured",
    "terms": "trm_seed_truce_hostages",
    "exchanges": "exc_nov2023_truce",
}
# Pages that are not in the API's description but are GETs all the same.
OTHER_PAGES = ["/", "/docs/assets/swagger-ui.css", "/static/docs.js"]
META = {"/healthz", "/readyz", "/metrics", "/docs", "/problems/{slug}", "/openapi.json"}
# Metrics change with every request (each scrape counts the one before): no ETag, not cached.
UNTAGGED = {"/metrics"}


def concrete(path: str) -> str:
    """The spec's path with its parameters filled in."""
    if "{record_id}" in path:
        path = path.replace("{record_id}", RECORDS[path.split("/")[2]])
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m[1]], path)


def test_every_get_carries_an_etag_and_answers_304(service: Service):
    spec = service.public.get("/openapi.json").json()
    gets = [path for path, operations in spec["paths"].items() if "get" in operations]
    assert set(gets) >= META
    checked = []
    for path in [concrete(p) for p in gets if p not in UNTAGGED] + OTHER_PAGES:
        first = service.public.get(path)
        assert first.status_code == 200, (path, first.text[:300])
        etag = first.headers.get("ETag")
        assert etag, f"{path} has no ETag"
        # Nothing changed: the same ETag, and 304 for the ETag, weak or strong, or *.
        assert service.public.get(path).headers["ETag"] == etag, path
        bare = etag.removeprefix("W/")
        for held in (etag, f"W/{bare}", f'"other", {etag}', "*"):
            again = service.public.get(path, headers={"If-None-Match": held})
            assert again.status_code == 304, (path, held, again.status_code)
            assert again.content == b"" and again.headers["ETag"] == etag, path
        stale = service.public.get(path, headers={"If-None-Match": '"not-this-one"'})
        assert stale.status_code == 200 and stale.content == first.content, path
        checked.append(path)
    assert len(checked) >= 25
    for path in UNTAGGED:
        answer = service.public.get(path)
        assert answer.status_code == 200 and "ETag" not in answer.headers
        assert answer.headers["Cache-Control"] == "no-store"


def test_a_write_changes_the_etags_of_answers_about_now(service: Service):
    paths = ["/v1/totals", "/v1/entries", "/v1/checks", "/readyz", "/"]
    before = {path: service.public.get(path).headers["ETag"] for path in paths}
    add_source(service, report("A report that moves the ledger's revision on."))
    for path in paths:
        answer = service.public.get(path, headers={"If-None-Match": before[path]})
        assert answer.status_code == 200 and answer.headers["ETag"] != before[path], path


# What a published figure cites: each answer as of one moment.
AS_OF_ANSWERS = [
    ("/v1/totals", {"party": "Test party A1"}),
    ("/v1/totals", {}),
    ("/v1/schedule", {"party": "Test party A1"}),
    ("/v1/still-held", {}),
    ("/v1/checks", {}),
    ("/v1/entries", {}),
    ("/v1/entries", {"party": "Test party A1"}),
    ("/v1/terms", {}),
    ("/v1/notes", {}),
    ("/v1/export/entries.csv", {}),
    ("/v1/export/totals.csv", {"party": "Test party A1"}),
    ("/v1/charts/released-hostages.json", {"party": "Test party A1"}),
]


def test_an_answer_as_of_a_moment_is_reproduced_byte_for_byte(service: Service):
    source = add_source(
        service,
        report(
            "Hamas released 4 hostages on Saturday, and a later count said 5. "
            "The mediator said 4 hostages a day would be freed."
        ),
    )
    posted = service.editor.post(
        "/v1/entries",
        json=entry(
            source["id"],
            "Hamas released 4 hostages on Saturday",
            count=4,
            party="Test party A1",
            period={"start": "2023-11-25", "end": "2023-11-25"},
        ),
    )
    assert posted.status_code == 201, posted.text
    term = service.editor.post(
        "/v1/terms",
        json={
            "exchange": "exc_nov2023_truce",
            "population": "hostages",
            "party": "Test party A1",
            "count": 4,
            "per": "day",
            "period": {"start": "2023-11-25", "end": "2023-11-26"},
            "evidence": [{"source": source["id"], "quote": "4 hostages a day"}],
        },
    )
    assert term.status_code == 201, term.text
    # Moment A: the moment of the last write. Everything the routes answer now is what they
    # must answer as of A from here on.
    moment = term.json()["recorded_at"]
    now = {
        (path, tuple(params.items())): service.public.get(path, params=params)
        for path, params in AS_OF_ANSWERS
    }
    then = {
        (path, tuple(params.items())): service.public.get(path, params={**params, "as_of": moment})
        for path, params in AS_OF_ANSWERS
    }
    checks_then = then[("/v1/checks", ())].json()
    revision = checks_then["revision"]
    assert checks_then["chain"]["seq"] == revision
    assert now[("/v1/totals", ())].json() == {**then[("/v1/totals", ())].json(), "as_of": None}

    # A correction, a retraction, a new term, a new source, a new token.
    entry_path = posted.headers["Location"].removeprefix(service.server.base)
    correction = entry(
        source["id"],
        "a later count said 5",
        count=5,
        party="Test party A1",
        period={"start": "2023-11-25", "end": "2023-11-25"},
        reason="the later count",
    )
    revised = service.editor.put(
        entry_path, json=correction, headers={"If-Match": posted.headers["ETag"]}
    )
    assert revised.status_code == 200, revised.text
    term_path = term.headers["Location"].removeprefix(service.server.base)
    assert service.editor.delete(term_path, params={"reason": "withdrawn"}).status_code == 200
    add_source(service, report("Another report, recorded after the moment."))
    assert service.admin.post("/v1/tokens", json={"role": "editor"}).status_code == 201

    current = service.public.get("/v1/checks").json()["revision"]
    assert current > revision
    totals_now = service.public.get("/v1/totals", params={"party": "Test party A1"}).json()
    assert totals_now["total"] == {"low": 5, "high": 5}
    for (path, params), answer in then.items():
        again = service.public.get(path, params={**dict(params), "as_of": moment})
        assert again.status_code == 200, (path, again.text[:300])
        assert again.content == answer.content, (path, params)
        assert again.headers["ETag"] == answer.headers["ETag"], (path, params)
        # A client that cached the answer then is told it still holds it.
        held = service.public.get(
            path,
            params={**dict(params), "as_of": moment},
            headers={"If-None-Match": answer.headers["ETag"]},
        )
        assert held.status_code == 304, (path, params)
    assert then[("/v1/totals", (("party", "Test party A1"),))].json()["total"] == {
        "low": 4,
        "high": 4,
    }
    # Each answer about A says it was computed at A's revision, not at the current one.
    for (path, _), answer in then.items():
        if path in ("/v1/totals", "/v1/schedule", "/v1/still-held", "/v1/checks"):
            assert answer.json()["revision"] == revision, path


ANSWERS_ABOUT_NOW = ["/v1/totals?population=hostages", "/v1/schedule", "/v1/still-held"]


def test_an_answer_given_again_is_the_first_with_its_own_request_id(service: Service):
    # Enough requests that each worker answers some again (api/answer_cache.py).
    origin = {"Origin": "https://desk.example"}
    for path in [*ANSWERS_ABOUT_NOW, "/v1/checks"]:
        for extra in ({}, origin):
            answers = [
                service.public.get(path, headers={**extra, "X-Request-Id": f"again-{i}"})
                for i in range(8)
            ]
            first = _without_request_id(answers[0])
            for i, answer in enumerate(answers):
                assert answer.headers["X-Request-Id"] == f"again-{i}", path
                assert _without_request_id(answer) == first, (path, extra)
            assert first[1]["Access-Control-Allow-Origin"] == "*", path
            held = {**extra, "If-None-Match": answers[0].headers["ETag"]}
            unchanged = [_without_request_id(service.public.get(path, headers=held))] * 2
            unchanged += [_without_request_id(service.public.get(path, headers=held))]
            assert {u[0] for u in unchanged} == {304} and unchanged[0] == unchanged[-1], path
        made_up = service.public.get(path, headers={"X-Request-Id": "no spaces allowed"})
        assert re.fullmatch(r"[0-9a-f]{16}", made_up.headers["X-Request-Id"]), path


def test_every_answer_given_again_is_counted(service: Service):
    def counted() -> float:
        text = service.public.get("/metrics").text
        found = re.findall(
            r'ledger_http_requests_total\{method="GET",route="/v1/still-held",status="200"\} (\S+)',
            text,
        )
        return sum(float(n) for n in found)

    before = counted()
    for _ in range(10):
        assert service.public.get("/v1/still-held").status_code == 200
    assert counted() - before == 10


def _without_request_id(answer) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in answer.headers.items() if k not in ("X-Request-Id", "Date")}
    return answer.status_code, headers, answer.content
