"""Writes take turns within a worker (api.turns): one waits while another holds the turn, a
read never waits, a write that comes behind a crowd has its connection closed after its answer,
and however a write ends (written, refused, unknown route) it gives the turn back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient
from gunicorn.config import Config
from gunicorn.http.message import Request
from gunicorn.http.unreader import IterUnreader

from api import create_app, turns
from exchange_ledger.server import _pre_request, _Quiet
from ledger import sources
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
    turns._turn.take()  # another write of this worker holds the turn
    try:
        write, written = _in_thread(lambda: client.post("/v1/entries", json=body, headers=auth))
        read, seen = _in_thread(lambda: client.get("/v1/totals"))
        read.join(WAIT_S)
        assert [answer.status_code for answer in seen] == [200]
        write.join(0.5)
        assert write.is_alive() and written == []  # still waiting: nothing written yet
    finally:
        turns._turn.give_back()
    write.join(WAIT_S)
    assert [answer.status_code for answer in written] == [201]
    assert not turns._turn.locked() and turns._turn.waiting == 0


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "idempotency-key"])
def test_a_report_is_cut_into_sentences_while_other_writes_go_on(
    client_and_token, monkeypatch, keyed
):
    """Cutting a long report takes seconds; meanwhile the worker's other writes are neither
    held by its write turn nor by the writer lock (taken for an Idempotency-Key)."""
    client, secret = client_and_token
    auth = {"Authorization": f"Bearer {secret}"}
    cutting, go_on = threading.Event(), threading.Event()
    segment = sources.segment

    def slow(text: str, processes: int = 1) -> tuple[sources.Sentence, ...]:
        cutting.set()
        go_on.wait(WAIT_S)
        return segment(text, processes)

    monkeypatch.setattr(sources, "segment", slow)
    report = {"text": "date 2023-11-30\nA report that is slow to cut. It has two sentences."}
    headers = auth | ({"Idempotency-Key": "slow-report"} if keyed else {})
    post, stored = _in_thread(lambda: client.post("/v1/sources", json=report, headers=headers))
    try:
        assert cutting.wait(WAIT_S)
        body = _entry(client)
        write, written = _in_thread(lambda: client.post("/v1/entries", json=body, headers=auth))
        write.join(WAIT_S)
        assert [answer.status_code for answer in written] == [201]
        assert post.is_alive() and stored == []  # the report is still being cut
    finally:
        go_on.set()
    post.join(WAIT_S)
    assert [answer.status_code for answer in stored] == [201]
    assert not turns._turn.locked() and turns._turn.waiting == 0


def _request(method: str) -> Request:
    head = f"{method} /v1/entries HTTP/1.1\r\nHost: ledger\r\nContent-Length: 0\r\n\r\n"
    return Request(Config(), IterUnreader([head.encode()]), ("127.0.0.1", 40000), 1)


def test_a_write_that_would_wait_behind_a_crowd_has_its_connection_closed():
    """gunicorn's pre_request hook closes a crowded write's connection after its answer, so
    the client's next request may go to a worker with less to do."""
    worker = SimpleNamespace(quiet=_Quiet())  # what the hook reads of gunicorn's worker
    turns._turn.take()
    waiters: list[threading.Thread] = []
    try:
        for count in range(1, turns.CROWD + 1):
            waiters.append(_in_thread(_wait_for_the_turn)[0])
            _until(lambda count=count: turns._turn.waiting == count)
            late, reading = _request("POST"), _request("GET")
            _pre_request(worker, late)
            _pre_request(worker, reading)
            assert late.should_close() is (count == turns.CROWD)
            assert not reading.should_close()
    finally:
        turns._turn.give_back()
    for waiter in waiters:
        waiter.join(WAIT_S)
    assert turns._turn.waiting == 0 and not turns._turn.locked()


def _wait_for_the_turn() -> None:
    turns._turn.take()
    turns._turn.give_back()


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "the writes never came to wait for the turn"
        time.sleep(0.01)


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
