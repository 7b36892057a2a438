"""The HTTP layer's own pieces: schemas, error flattening, the 500 handler."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from marshmallow import ValidationError

from api import create_app
from api.problems import flatten
from api.schemas.common import KeyArgs
from api.schemas.entries import EntryChangeSchema, EntryInSchema


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
    assert loaded["qualifier"] == "exact" and loaded["framework"] == "other"
    assert loaded["period"] == {"start": dt.date(2023, 11, 24), "end": dt.date(2023, 11, 27)}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"count": "50"}, "count"),
        ({"count": 50.5}, "count"),
        ({"count": -1}, "count"),
        ({"count": 10**20}, "count"),
        ({"kind": "freed"}, "kind"),
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
