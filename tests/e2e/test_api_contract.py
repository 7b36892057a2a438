"""The order of a write's checks, body limits, idempotency on every POST, ranges and moments
out of bounds, readiness and the timing of refused requests, over HTTP against the real server
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import Service
from tests.e2e.test_api import FIRST, add_source, entry, is_problem, report

MB = 1024 * 1024
JSON = {"Content-Type": "application/json"}


def added_entry(service: Service, party: str, count: int = 5) -> tuple[str, str]:
    """A new entry of the editor's, its path and ETag."""
    source = add_source(service, report(f"Hamas released {count} hostages to the mediators."))
    posted = service.editor.post(
        "/v1/entries",
        json=entry(source["id"], f"Hamas released {count} hostages", count=count, party=party),
    )
    assert posted.status_code == 201, posted.text
    return posted.headers["Location"].removeprefix(service.server.base), posted.headers["ETag"]


# --- a write's checks come in order: token, id, If-Match, body --------------------------------


def test_a_revision_is_checked_token_then_id_then_if_match_then_body(service: Service):
    path, etag = added_entry(service, "Test party Q")
    invalid = {"count": "many"}
    # No token: 401, whatever else is wrong.
    is_problem(service.public.put("/v1/entries/ent_nothing", json=invalid), 401)
    # An unknown id: 404 before If-Match or the body are looked at.
    is_problem(service.editor.put("/v1/entries/ent_nothing", json=invalid), 404)
    is_problem(service.editor.delete("/v1/entries/ent_nothing"), 404)
    is_problem(service.editor.delete("/v1/terms/trm_nothing", json={"reason": 12}), 404)
    # No If-Match: 428 before the body's 422.
    is_problem(service.editor.put(path, json=invalid), 428)
    # If-Match for another record: 412 before the body's 422.
    is_problem(service.editor.put(path, json=invalid, headers={"If-Match": '"ent_x.r1"'}), 412)
    # Only then the body.
    body = is_problem(service.editor.put(path, json=invalid, headers={"If-Match": etag}), 422)
    assert {"count", "reason"} <= set(body["errors"])
    assert service.public.get(path).json()["revision"] == 1


def test_a_retraction_needs_a_reason_from_the_query_or_the_body(service: Service):
    path, etag = added_entry(service, "Test party R")
    body = is_problem(service.editor.delete(path), 422)
    assert "?reason=" in body["errors"]["reason"][0]
    is_problem(service.editor.delete(path, params={"reason": "x" * 2001}), 422)
    is_problem(service.editor.delete(path, json={"reason": 7}), 422)
    assert service.public.get(path).json()["revision"] == 1
    retracted = service.editor.delete(
        path, json={"reason": "a duplicate"}, headers={"If-Match": etag}
    )
    assert retracted.status_code == 200 and retracted.json()["reason"] == "a duplicate"
    assert retracted.headers["ETag"] == etag.replace(".r1", ".r2")


def test_a_delete_with_a_body_is_checked_like_any_write(service: Service):
    path, _ = added_entry(service, "Test party S")
    plain = {"Content-Type": "text/plain"}
    # The token first: the body of an anonymous request is never read.
    is_problem(service.public.delete(path, data="reason=x", headers=plain), 401)
    is_problem(service.public.delete(path, data=b"\xff{", headers=JSON), 401)
    # Then its type and its JSON, as for a POST or PUT.
    is_problem(service.editor.delete(path, params={"reason": "x"}, data="x", headers=plain), 415)
    is_problem(service.editor.delete(path, data="{not json", headers=JSON), 400)
    is_problem(service.editor.delete(path, data=b'{"reason": "\xff"}', headers=JSON), 400)
    assert service.public.get(path).json()["revision"] == 1
    # A DELETE without a body is not asked for a Content-Type.
    assert service.editor.delete(path, params={"reason": "gone"}).status_code == 200


# --- bodies: 10 MB, or 40 MB for a new source whose text is escaped -------------------------


def test_a_body_over_10_mb_is_413_naming_the_limit(service: Service):
    before = service.public.get("/v1/entries").headers["X-Total-Count"]
    big = json.dumps(entry(FIRST, "50 Israeli", description="d" * (10 * MB))).encode()
    for method, path in (
        ("POST", "/v1/entries"),
        ("POST", "/v1/terms"),
        ("PUT", "/v1/entries/ent_seed_captured"),
    ):
        body = is_problem(service.editor.request(method, path, data=big, headers=JSON), 413)
        assert "10 MB (10,485,760 bytes)" in body["detail"] and path in body["detail"]
        assert body["type"] == "/problems/too-large"
    assert service.public.get("/v1/entries").headers["X-Total-Count"] == before


def test_a_source_body_may_exceed_10_mb_up_to_40_mb(service: Service):
    # A text of 10 MB + 1 byte in a body of 12 MB: past the body limit of other routes, so the
    # text's own limit answers.
    text = "date 2023-11-28\n" + "\n" * (10 * MB - 15)
    body = is_problem(service.editor.post("/v1/sources", json={"text": text}), 413)
    assert body["detail"].startswith("The text is 10,485,761 bytes")
    huge = b'{"text": "' + b"a" * (40 * MB) + b'"}'
    body = is_problem(service.editor.post("/v1/sources", data=huge, headers=JSON), 413)
    assert "40 MB (41,943,040 bytes)" in body["detail"] and "/v1/sources" in body["detail"]


# --- Idempotency-Key on every POST ------------------------------------------------------------


def test_every_post_takes_an_idempotency_key(service: Service):
    source_text = report("The mediator said 9 hostages a day would be freed.")
    source_body = {"text": source_text, "title": "Idempotent"}
    key = {"Idempotency-Key": f"source-{uuid.uuid4()}"}
    first = service.editor.post("/v1/sources", json=source_body, headers=key)
    assert first.status_code == 201 and first.headers["ETag"] == f'"{first.json()["sha256"]}"'
    # The same JSON spelled otherwise (spaces, key order) is the same request.
    respelled = json.dumps(dict(reversed(source_body.items())), indent=4)
    again = service.editor.post("/v1/sources", data=respelled, headers={**key, **JSON})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again.headers["ETag"] == first.headers["ETag"]
    # Without the key, the same text is the stored source: 200, with its ETag.
    stored = service.editor.post("/v1/sources", json=source_body)
    assert stored.status_code == 200 and stored.headers["ETag"] == first.headers["ETag"]
    other = is_problem(
        service.editor.post("/v1/sources", json={**source_body, "title": "Other"}, headers=key),
        422,
    )
    assert "Idempotency-Key" in other["errors"]

    term = {
        "exchange": "exc_nov2023_truce",
        "population": "hostages",
        "party": "Test party T",
        "count": 9,
        "per": "day",
        "period": {"start": "2023-12-03", "end": "2023-12-04"},
        "evidence": [{"source": first.json()["id"], "quote": "9 hostages a day"}],
    }
    key = {"Idempotency-Key": f"term-{uuid.uuid4()}"}
    made = [service.editor.post("/v1/terms", json=term, headers=key) for _ in range(3)]
    assert [m.status_code for m in made] == [201] * 3
    assert (
        len({m.json()["id"] for m in made}) == 1
        and made[1].headers["ETag"] == made[0].headers["ETag"]
    )
    listed = service.public.get("/v1/terms", params={"party": "Test party T"}).json()
    assert len(listed) == 1

    key = {"Idempotency-Key": f"token-{uuid.uuid4()}"}
    tokens = {"role": "editor", "name": f"idempotent {uuid.uuid4().hex[:8]}"}
    created = service.admin.post("/v1/tokens", json=tokens, headers=key)
    assert created.status_code == 201 and created.json()["token"].startswith("elt_")
    replayed = service.admin.post("/v1/tokens", json=tokens, headers=key)
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    # The token was made once; its secret was shown once and is kept nowhere, not even for
    # the replay.
    assert replayed.json() == {**created.json(), "token": None}
    assert created.json()["token"] not in replayed.text
    is_problem(service.admin.post("/v1/tokens", json={**tokens, "role": "admin"}, headers=key), 422)
    # The new token works.
    writer = {"Authorization": f"Bearer {created.json()['token']}"}
    assert service.public.post("/v1/sources", json=source_body, headers=writer).status_code == 200


# --- ranges and moments out of bounds ---------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/totals",
        "/v1/entries",
        "/v1/terms",
        "/v1/export/entries.csv",
        "/v1/export/totals.csv",
        "/v1/charts/released-hostages.json",
    ],
)
def test_a_reversed_range_is_refused_naming_from(service: Service, path: str):
    body = is_problem(
        service.public.get(path, params={"from": "2023-11-28", "to": "2023-11-24"}), 422
    )
    assert list(body["errors"]) == ["from"]
    one_day = service.public.get(path, params={"from": "2023-11-24", "to": "2023-11-24"})
    assert one_day.status_code == 200


AS_OF_ROUTES = [
    "/v1/totals",
    "/v1/schedule",
    "/v1/still-held",
    "/v1/checks",
    "/v1/entries",
    "/v1/entries/ent_seed_captured",
    "/v1/terms",
    "/v1/terms/trm_seed_truce_hostages",
    "/v1/notes",
    "/v1/export/entries.csv",
    "/v1/export/datapackage.json",
    "/v1/charts/nationality.json",
]


@pytest.mark.parametrize("path", AS_OF_ROUTES)
@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_an_as_of_beyond_the_calendar_is_422_naming_as_of(service: Service, path: str, as_of: str):
    body = is_problem(service.public.get(path, params={"as_of": as_of}), 422)
    assert list(body["errors"]) == ["as_of"]


@pytest.mark.parametrize("path", AS_OF_ROUTES)
def test_the_first_moment_is_an_as_of_like_any_other(service: Service, path: str):
    answer = service.public.get(path, params={"as_of": "0001-01-01T00:00:00Z"})
    assert answer.status_code in (200, 404), answer.text  # 404: the record did not exist yet


# --- readiness, and requests refused before a view are timed -------------------------------


def test_readyz_with_pending_migrations_is_a_503_problem(service: Service):
    engine = create_engine(service.url)
    try:
        with engine.begin() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        try:
            answer = service.public.get("/readyz")
            body = is_problem(answer, 503)
            assert body["type"] == "/problems/unavailable" and "migrat" in body["detail"]
            assert service.public.get("/healthz").status_code == 200
        finally:
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE alembic_version SET version_num = :v"), {"v": current}
                )
    finally:
        engine.dispose()
    assert service.public.get("/readyz").json()["status"] == "ok"


def latency_count(service: Service, method: str, route: str) -> float:
    """How many requests the latency histogram holds for one route, over every worker."""
    metrics = service.public.get("/metrics").text
    pattern = re.compile(
        r"^ledger_http_request_seconds_count\{(?P<labels>[^}]*)\} (?P<value>\S+)$", re.M
    )
    for found in pattern.finditer(metrics):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', found["labels"]))
        if labels == {"method": method, "route": route}:
            return float(found["value"])
    return 0.0


def test_requests_refused_before_their_view_are_timed(service: Service):
    before = latency_count(service, "POST", "/v1/notes")
    for _ in range(3):
        refused = service.editor.post("/v1/notes", data="x", headers={"Content-Type": "text/plain"})
        is_problem(refused, 415)
    assert latency_count(service, "POST", "/v1/notes") == before + 3
    metrics = service.public.get("/metrics")
    assert "ETag" not in metrics.headers and metrics.headers["Cache-Control"] == "no-store"
    assert metrics.headers["Content-Type"].startswith("text/plain")
