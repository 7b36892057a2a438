"""What a write does meanwhile: a long report is cut into sentences before its write takes the
writer lock, so the worker's other writes go on while it is cut."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from api import create_app
from ledger import sources
from ledger.seed import load_seed
from ledger.service import Ledger
from ledger.storage.database import Database

WAIT_S = 30  # a generous bound: a request that should finish never waits on a write


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
        "period": {"start": "2023-11-25", "end": "2023-11-25"}, "party": "Meanwhile",
        "framework": "other", "description": "a write made while a report is cut",
        "evidence": [{k: evidence[k] for k in ("source", "sentence", "quote")}],
    }  # fmt: skip


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(call()), daemon=True)
    thread.start()
    return thread, answers


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "idempotency-key"])
def test_a_report_is_cut_into_sentences_while_other_writes_go_on(
    client_and_token, monkeypatch, keyed
):
    """Cutting a long report takes seconds; meanwhile the worker's other writes are not held
    by the writer lock (taken for an Idempotency-Key)."""
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


def test_a_read_is_answered_while_a_write_holds_the_writer_lock(client_and_token):
    """Reads take no lock: a write in progress (here one held open) delays no answer, and
    the write waiting behind it lands once it is through."""
    client, secret = client_and_token
    auth = {"Authorization": f"Bearer {secret}"}
    body = _entry(client)
    database = client.application.extensions["ledger"].database
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with database.writing():
            holding.set()
            release.wait(WAIT_S)

    holder, _ = _in_thread(hold)
    try:
        assert holding.wait(WAIT_S)
        write, written = _in_thread(lambda: client.post("/v1/entries", json=body, headers=auth))
        read, seen = _in_thread(lambda: client.get("/v1/totals"))
        read.join(WAIT_S)
        assert [answer.status_code for answer in seen] == [200]
        write.join(0.5)
        assert write.is_alive() and written == []  # waiting for the lock: nothing written
    finally:
        release.set()
    holder.join(WAIT_S)
    write.join(WAIT_S)
    assert [answer.status_code for answer in written] == [201]
