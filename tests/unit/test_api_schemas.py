"""The HTTP layer's own pieces: input and output schemas, error flattening, the 500 and 503
handlers, the request id in the logs."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from marshmallow import ValidationError

from api import create_app
from api.problems import TYPES, flatten
from api.resources.revisable import RetractionSchema
from api.resources.terms import TermListArgs
from api.resources.tokens import TokenInSchema
from api.resources.totals import checks_answer, schedule_answer, still_held_answer, totals_answer
from api.schemas.common import KeyArgs, ProblemSchema
from api.schemas.entries import EntryChangeSchema, EntryInSchema, TermChangeSchema, TermInSchema
from api.schemas.sources import SourceInSchema
from api.schemas.totals import ChecksSchema, ScheduleSchema, StillHeldSchema, TotalsSchema
from ledger.chain import Link
from ledger.checks import checks
from ledger.counting import analyse
from ledger.records import Entry, Evidence, Period, Term
from ledger.schedule import schedule
from ledger.still_held import still_held
from ledger.totals import statements, totals


def valid_entry() -> dict:
    return {
        "kind": "released",
        "population": "hostages",
        "count": 50,
        "period": {"start": "2023-11-24", "end": "2023-11-27"},
        "party": "Hamas",
        "evidence": [{"source": "src_1ad57b34380d078e", "quote": "50 Israeli women"}],
    }


def test_an_entry_loads_with_its_defaults():
    loaded = EntryInSchema().load(valid_entry())
    # A part of the scope left out is not stated: no default stands in for it.
    assert loaded["qualifier"] == "exact" and "framework" not in loaded
    assert loaded["period"] == {"start": dt.date(2023, 11, 24), "end": dt.date(2023, 11, 27)}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"count": "50"}, "count"),
        ({"count": 50.5}, "count"),
        ({"count": -1}, "count"),
        ({"count": 10**20}, "count"),
        ({"kind": "freed"}, "kind"),
        ({"kind": []}, "kind"),
        ({"kind": ["released", "freed"]}, "kind"),
        ({"nationality": ""}, "nationality"),
        ({"nationality": [""]}, "nationality"),
        ({"exchange": "the truce"}, "exchange"),
        ({"count_high": "40"}, "count_high"),
        ({"period": {"start": "24/11/2023", "end": "2023-11-27"}}, "period"),
        ({"period": {"start": "9999-01-01", "end": "9999-01-02"}}, "period"),
        ({"evidence": []}, "evidence"),
        ({"evidence": [{"source": "src_x", "quote": ""}]}, "evidence"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_an_entry_refuses_wrong_types_and_names_the_field(change, field):
    with pytest.raises(ValidationError) as refused:
        EntryInSchema().load({**valid_entry(), **change})
    assert field in refused.value.messages


def test_an_entry_takes_one_value_or_a_list_where_a_report_may_give_several():
    loaded = EntryInSchema().load(
        {**valid_entry(), "kind": ["released", "remains_returned"],
         "nationality": ["Russian", "Israeli"], "batch": "2023-11-25 night",
         "exchange": "exc_nov2023_truce", "party": None}
    )  # fmt: skip
    assert loaded["kind"] == ["released", "remains_returned"]
    assert loaded["nationality"] == ["Russian", "Israeli"] and loaded["party"] is None
    # A running total of an exchange may give only its end day.
    running = {**valid_entry(), "exchange": "exc_nov2023_truce", "period": {"end": "2023-11-27"}}
    assert EntryInSchema().load(running)["period"] == {"end": dt.date(2023, 11, 27)}


def test_a_change_needs_its_reason():
    with pytest.raises(ValidationError) as refused:
        EntryChangeSchema().load(valid_entry())
    assert "reason" in refused.value.messages


def test_as_of_needs_a_zone_and_becomes_utc():
    args = KeyArgs().load({"as_of": "2023-11-28T14:00:00+02:00", "from": "2023-11-24"})
    assert args["as_of"] == dt.datetime(2023, 11, 28, 12, tzinfo=dt.UTC)
    assert args["from_"] == dt.date(2023, 11, 24)
    for bad in ("2023-11-28T12:00:00", "2023-11-28", "yesterday"):
        with pytest.raises(ValidationError, match="zone"):
            KeyArgs().load({"as_of": bad})


def test_nested_messages_flatten_to_field_paths():
    messages = {
        "json": {
            "period": {"start": ["Not a valid date."]},
            "evidence": {0: {"quote": ["Missing data."]}},
            "_schema": ["Bad."],
        },
        "query": {"as_of": ["Needs a zone."]},
    }
    assert flatten(messages) == {
        "period.start": ["Not a valid date."],
        "evidence[0].quote": ["Missing data."],
        "body": ["Bad."],
        "as_of": ["Needs a zone."],
    }


def test_an_unexpected_failure_is_a_500_problem_logged_with_its_request_id(tmp_path, caplog):
    app = create_app({"LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom", headers={"X-Request-Id": "req-42"})
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["request_id"] == "req-42" and body["type"] == "/problems/internal-error"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert any("req-42" in record.getMessage() for record in caplog.records)


def test_unknown_addresses_are_404_problems(tmp_path):
    app = create_app({"LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    response = app.test_client().get("/v2/nothing")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


# --- input schemas: terms, sources, tokens, retractions, query ranges and moments -----------


def valid_term() -> dict:
    return {
        "exchange": "exc_nov2023_truce",
        "population": "hostages",
        "party": "Hamas",
        "count": 10,
        "per": "day",
        "period": {"start": "2023-11-28", "end": "2023-11-29"},
        "evidence": [{"source": "src_1ad57b34380d078e", "quote": "10 hostages a day"}],
    }


def test_a_term_loads_with_its_defaults():
    loaded = TermInSchema().load(valid_term())
    assert (loaded["kind"], loaded["qualifier"]) == ("released", "exact")
    assert "framework" not in loaded
    assert TermInSchema().load({**valid_term(), "per": "period"})["per"] == "period"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"per": "week"}, "per"),
        ({"count": "10"}, "count"),
        ({"count": True}, "count"),
        ({"population": "prisoners"}, "population"),
        ({"party": ""}, "party"),
        ({"period": {"start": "2023-11-28"}}, "period"),
        ({"evidence": []}, "evidence"),
        ({"deadline": "soon"}, "deadline"),
        ({"exchange": None}, "exchange"),
    ],
)
def test_a_term_refuses_wrong_fields_and_names_them(change, field):
    with pytest.raises(ValidationError) as refused:
        TermInSchema().load({**valid_term(), **change})
    assert field in refused.value.messages


def test_a_term_change_needs_its_reason():
    with pytest.raises(ValidationError) as refused:
        TermChangeSchema().load(valid_term())
    assert list(refused.value.messages) == ["reason"]
    assert TermChangeSchema().load({**valid_term(), "reason": "minimum"})["reason"] == "minimum"


def test_a_source_needs_only_its_text():
    assert SourceInSchema().load({"text": "date 2023-11-28\nA report."}) == {
        "text": "date 2023-11-28\nA report."
    }
    loaded = SourceInSchema().load({"text": "A report.", "published_on": "2023-11-28"})
    assert loaded["published_on"] == dt.date(2023, 11, 28)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": 12}, "text"),
        ({"text": "x", "published_on": "28/11/2023"}, "published_on"),
        ({"text": "x", "published_on": "2200-01-01"}, "published_on"),
        ({"text": "x", "title": ""}, "title"),
        ({"text": "x", "url": "u" * 501}, "url"),
        ({"text": "x", "author": "me"}, "author"),
    ],
)
def test_a_source_refuses_wrong_fields_and_names_them(body, field):
    with pytest.raises(ValidationError) as refused:
        SourceInSchema().load(body)
    assert field in refused.value.messages


def test_a_token_takes_a_role_and_maybe_a_name():
    assert TokenInSchema().load({"role": "editor"}) == {"role": "editor"}
    assert TokenInSchema().load({"role": "admin", "name": "desk"})["name"] == "desk"
    for body, field in (
        ({}, "role"),
        ({"role": "owner"}, "role"),
        ({"role": "editor", "name": ""}, "name"),
        ({"role": "editor", "name": "n" * 101}, "name"),
        ({"role": "editor", "secret": "x"}, "secret"),
    ):
        with pytest.raises(ValidationError) as refused:
            TokenInSchema().load(body)
        assert field in refused.value.messages, body


def test_a_retraction_needs_a_reason_of_at_most_2000_characters():
    assert RetractionSchema().load({"reason": "entered twice"}) == {"reason": "entered twice"}
    for body in ({}, {"reason": None}, {"reason": ""}, {"reason": "r" * 2001}, {"reason": 7}):
        with pytest.raises(ValidationError) as refused:
            RetractionSchema().load(body)
        assert list(refused.value.messages) == ["reason"], body
    with pytest.raises(ValidationError, match=r"\?reason="):
        RetractionSchema().load({})


def test_as_of_beyond_the_calendar_is_a_validation_error_not_an_overflow():
    for moment in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"):
        with pytest.raises(ValidationError) as refused:
            KeyArgs().load({"as_of": moment})
        assert list(refused.value.messages) == ["as_of"]
    first = KeyArgs().load({"as_of": "0001-01-01T00:00:00Z"})["as_of"]
    assert first == dt.datetime(1, 1, 1, tzinfo=dt.UTC)


def test_a_range_runs_forward():
    with pytest.raises(ValidationError) as refused:
        KeyArgs().load({"from": "2023-11-28", "to": "2023-11-24"})
    assert list(refused.value.messages) == ["from"]
    with pytest.raises(ValidationError) as refused:
        TermListArgs().load({"from": "2023-11-28", "to": "2023-11-24"})
    assert list(refused.value.messages) == ["from"]
    one_day = KeyArgs().load({"from": "2023-11-24", "to": "2023-11-24"})
    assert one_day["from_"] == one_day["to"] == dt.date(2023, 11, 24)
    assert KeyArgs().load({"to": "2023-11-24"}) == {"to": dt.date(2023, 11, 24)}


# --- output schemas: what the routes build is what the schemas document, nothing dropped ---


def day(n: int) -> dt.date:
    return dt.date(2023, 11, n)


def reported(id: str, count: int, start: int, end: int | None = None, **key) -> Entry:
    """An entry as the routes see it, with its evidence resolved."""
    fields = {
        "kind": "released",
        "population": "hostages",
        "party": "Hamas",
        "nationality": None,
        "framework": "truce_deal",
        "qualifier": "exact",
        **key,
    }
    fields["kind"] = (fields["kind"],)
    if fields["nationality"] is not None:
        fields["nationality"] = (fields["nationality"],)
    return Entry(
        id=id,
        count=count,
        period=Period(day(start), day(end or start)),
        evidence=(Evidence(f"src_{id}", 0, str(count), 0, len(str(count))),),
        **fields,
    )


LEDGER = (
    reported("ent_coarse", 50, 24, 27),
    *(reported(f"ent_day{n}", c, n) for n, c in ((24, 13), (25, 13), (26, 13), (27, 12))),
    reported("ent_thai_a", 10, 24, framework="parallel_deal", nationality="Thai"),
    reported("ent_thai_b", 11, 24, framework="parallel_deal", nationality="Thai"),
    reported("ent_more", 3, 28, qualifier="at_least"),
    reported("ent_two_days", 5, 28, 29, framework="other"),
    reported("ent_about", 30, 28, population="detainees", party="Israel", qualifier="approx"),
    reported("ent_taken", 240, 7, kind="captured", framework="other"),
)
TERMS = (
    Term(
        id="trm_first",
        population="hostages",
        kind="released",
        party="Hamas",
        count=50,
        period=Period(day(24), day(27)),
        framework="truce_deal",
        evidence=(Evidence("src_terms", 0, "50", 0, 2),),
    ),
    Term(
        id="trm_extension",
        population="hostages",
        kind="released",
        party="Hamas",
        count=10,
        per="day",
        qualifier="at_least",
        period=Period(day(28), day(29)),
        framework="truce_deal",
        evidence=(Evidence("src_terms", 1, "10", 0, 2),),
    ),
)
AS_OF = dt.datetime(2023, 11, 29, 12, tzinfo=dt.UTC)
ANALYSIS = analyse(statements(LEDGER))


def plain(answer: dict) -> dict:
    """The answer as JSON would carry it, with the schema's names for its keys."""
    as_json = json.loads(json.dumps(answer, default=lambda v: v.isoformat()))
    if "from_" in as_json:
        as_json["from"] = as_json.pop("from_")
    return as_json


def dumped_whole(schema, answer: dict) -> dict:
    """The schema's dump of an answer, checked to drop and change nothing and to load back."""
    dumped = schema.dump(answer)
    assert dumped == plain(answer)
    assert schema.validate(dumped) == {}
    return dumped


def test_the_totals_schema_documents_the_whole_totals_answer():
    args = {"population": "hostages", "party": "Hamas", "as_of": AS_OF}
    result = totals(LEDGER, population="hostages", party="Hamas")
    dumped = dumped_whole(TotalsSchema(), totals_answer(args, result, revision=7))
    assert dumped["revision"] == 7 and dumped["as_of"] == "2023-11-29T12:00:00+00:00"
    assert dumped["from"] is None and dumped["conflicts"] and dumped["implied"]
    assert dumped["days"][0]["date"] == "2023-11-07"  # the capture: every kind is summed
    assert any(d["cumulative"]["high"] is None for d in dumped["days"])  # at_least: open


def test_the_schedule_schema_documents_the_whole_schedule_answer():
    args = {"population": "hostages", "kind": "released", "party": "Hamas", "as_of": None}
    result = schedule(TERMS, ANALYSIS, population="hostages", kind="released", party="Hamas")
    dumped = dumped_whole(ScheduleSchema(), schedule_answer(args, result, revision=3))
    assert dumped["terms"] == ["trm_extension", "trm_first"]
    assert {d["status"] for d in dumped["days"]} <= {"met", "behind", "ahead", "unknown"}


def test_the_still_held_schema_documents_the_whole_still_held_answer():
    args = {"population": "hostages", "as_of": None}
    parties = still_held(ANALYSIS, population="hostages")
    dumped = dumped_whole(StillHeldSchema(), still_held_answer(args, parties, revision=3))
    (hamas,) = dumped["parties"]
    assert hamas["party"] == "Hamas" and hamas["total"]["low"] <= 240 - 50


def test_the_checks_schema_documents_the_whole_checks_answer():
    head = Link(9, "entry.add", "ent_x", 1, AS_OF, "desk", "a" * 64, "b" * 64)
    dumped = dumped_whole(ChecksSchema(), checks_answer(AS_OF, checks(ANALYSIS), head, revision=9))
    assert dumped["chain"] == {"seq": 9, "sha256": "b" * 64, "recorded_at": AS_OF.isoformat()}
    assert dumped["count"] == len(dumped["conflicts"]) + len(dumped["mismatches"]) > 0
    empty = dumped_whole(ChecksSchema(), checks_answer(None, checks(analyse([])), None, revision=0))
    assert empty["chain"] is None and empty["count"] == 0


def test_the_problem_schema_documents_every_problem(tmp_path):
    app = create_app({"LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    client = app.test_client()
    answers = [
        client.get("/v2/nothing"),
        client.get("/v1/totals", query_string={"population": "all"}),
        client.post("/v1/entries", json={}),
        client.get("/problems/nothing"),
    ]
    for answer in answers:
        assert answer.mimetype == "application/problem+json"
        body = answer.get_json()
        assert ProblemSchema().validate(body) == {}, body
        assert ProblemSchema().dump(body) == body
        assert body["type"].removeprefix("/problems/") in TYPES


# --- problems: what the service keeps to itself -------------------------------------------------


UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/secret_ledger_name"


def test_an_unreachable_database_is_a_503_problem_that_names_no_host(caplog):
    app = create_app({"LEDGER_DATABASE_URL": UNREACHABLE})
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="exchange_ledger"):
        for path in ("/readyz", "/v1/totals"):
            answer = client.get(path, headers={"X-Request-Id": "req-503"})
            assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
            body = answer.get_data(as_text=True)
            for secret in ("127.0.0.1", "port 1", "secret_ledger_name", "nobody"):
                assert secret not in body, (path, body)
            assert answer.get_json()["type"] == "/problems/unavailable"
    # The log, not the answer, keeps the cause, under the request's id.
    assert any(
        "req-503" in r.getMessage() and "127.0.0.1" in r.getMessage() for r in caplog.records
    )
    # Metrics still answer while the database is away: the requests' own figures matter most.
    assert client.get("/metrics").status_code == 200


def test_the_request_id_is_on_records_of_every_logger_below_the_service():
    # As `serve` configures logging before the app is made: a handler on exchange_ledger.
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("exchange_ledger")
    handler = Keep()
    logger.addHandler(handler)
    try:
        app = create_app({"LEDGER_DATABASE_URL": UNREACHABLE})
        app.test_client().get("/v1/checks", headers={"X-Request-Id": "req-child"})
    finally:
        logger.removeHandler(handler)
    child = [r for r in records if r.name == "exchange_ledger.api"]
    assert child and all(r.request_id == "req-child" for r in child)


@pytest.mark.parametrize(
    ("given", "shared"),
    [
        ("2026-12-04T15:08", "2026-12-04T15%3A08%3A00Z"),  # the input drops zero seconds
        ("2026-12-04T15:08:09", "2026-12-04T15%3A08%3A09Z"),
    ],
)
def test_the_dashboard_shares_an_as_of_moment_with_its_seconds_and_zone(tmp_path, given, shared):
    app = create_app({"LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}"})
    answer = app.test_client().get(f"/?as_of={given}")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/?as_of={shared}"
