"""Writes take turns within a worker (api.turns): one waits while another holds the turn, a
read never waits, and however a write ends (written, refused, unknown route) it gives the turn
back."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from api import create_app, turns
from ledger.seed import load_seed
from ledger.service import Ledger
from ledger.storage.database import Database

WAIT_S = 30  # a generous bound: a request that should finish never waits on the turn


@pytest.fixture
def client_and_token(sqlite_url: str) -> tuple[FlaskClient, str]:
    database = Database(sqlite_url)
    database.migrate()
    ledger = Ledger(database)
    load_seed(ledger)
    _, secret = ledger.create_token("editor")
    database.dispose()
    return create_app({"LEDGER_DATABASE_URL": sqlite_url}).test_client(), secret


def _entry(client: FlaskClient) -> dict[str, Any]:
    evidence = client.get("/v1/entries?page_size=1").get_json()[0]["evidence"][0]
    return {
        "kind": "released", "population": "hostages", "count": 2, "qualifier": "exact",
        "period": {"start": "2023-11-25", "end": "2023-11-25"}, "party": "Turns",
        "framework": "other", "description": "a write that waits for its turn",
        "evidence": [{k: evidence[k] for k in ("source", "sentence", "quote")}],
    }  # fmt: skip


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(call()), daemon=True)
    thread.start()
    return thread, answers


def test_a_write_waits_for_the_turn_and_a_read_does_not(client_and_token):
    client, secret = client_and_token
    body, auth = _entry(client), {"Authorization": f"Bearer {secret}"}
    with turns._turn:  # another write of this worker holds the turn
        write, written = _in_thread(lambda: client.post("/v1/entries", json=body, headers=auth))
        read, seen = _in_thread(lambda: client.get("/v1/totals"))
        read.join(WAIT_S)
        assert [answer.status_code for answer in seen] == [200]
        write.join(0.5)
        assert write.is_alive() and written == []  # still waiting: nothing written yet
    write.join(WAIT_S)
    assert [answer.status_code for answer in written] == [201]
    assert not turns._turn.locked()


def test_every_ending_of_a_write_gives_the_turn_back(client_and_token):
    client, secret = client_and_token
    body, auth = _entry(client), {"Authorization": f"Bearer {secret}"}
    endings = [
        (lambda: client.post("/v1/entries", json=body, headers=auth), 201),
        (lambda: client.post("/v1/entries", json={**body, "count": -1}, headers=auth), 422),
        (lambda: client.post("/v1/entries", json=body), 401),
        (lambda: client.post("/v1/entries", data="{", headers=auth), 415),
        (lambda: client.post("/v1/nowhere", json=body, headers=auth), 404),
        (lambda: client.delete("/v1/entries/ent_0000000000000000", headers=auth), 404),
    ]
    for send, status in endings:
        thread, answers = _in_thread(send)
        thread.join(WAIT_S)  # a turn left taken would keep the next one waiting
        assert [answer.status_code for answer in answers] == [status]
        assert not turns._turn.locked()
