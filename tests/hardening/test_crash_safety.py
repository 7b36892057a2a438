"""kill -9 in the middle of writes: a gunicorn worker, then the whole server. Right after the
kill, before anything is restarted or retried, nothing is half-written and `verify` passes;
nothing the client saw acknowledged is lost; and a retry of an unanswered request with its
Idempotency-Key writes it exactly once (a replay exactly when it had committed)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import make_token
from tests.e2e.server import Server, serving
from tests.hardening.conftest import (
    children,
    half_written,
    kill_hard,
    load_entry,
    load_report,
    stored_entry_ids,
    verify,
    wait_gone,
)

WRITERS = 4
MAX_POSTS_PER_WRITER = 150
ACKS_BEFORE_KILL = 30
ACKS_AFTER_KILL = 30
REQUEST = 60
WAIT_SECONDS = 240
PARTY = "Crash party"


@dataclass
class Writes:
    """Every keyed write the writers tried, and what became of it."""

    body: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> body
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> entry id
    unanswered: list[str] = field(default_factory=list)  # keys whose request failed
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    killed: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def acks(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def post_entry(server: Server, token: str, key: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        server.base + "/v1/entries",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        timeout=REQUEST,
    )


def write_until_stopped(server: Server, token: str, source_id: str, w: int, out: Writes) -> None:
    for i in range(MAX_POSTS_PER_WRITER):
        if out.stop.is_set():
            return
        key = f"crash-{w}-{i}-{uuid.uuid4().hex[:8]}"
        body = load_entry(source_id, key, 1 + (w + i) % 9, PARTY)
        with out.lock:
            out.body[key] = body
        try:
            answer = post_entry(server, token, key, body)
        except requests.RequestException:
            with out.lock:
                out.unanswered.append(key)
            if out.killed.is_set() and server.process.poll() is not None:
                return  # the whole server is gone
            continue
        if answer.status_code == 201:
            with out.lock:
                out.acknowledged[key] = answer.json()["id"]
        else:
            with out.lock:
                out.unexpected.append(f"{key}: {answer.status_code} {answer.text[:300]}")


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {WAIT_SECONDS}s waiting for {what}")
        time.sleep(0.05)


@contextmanager
def writers(server: Server, token: str, source_id: str, out: Writes, batch: int) -> Iterator[None]:
    """WRITERS threads posting keyed entries until the block ends."""
    out.stop.clear()
    threads = [
        threading.Thread(
            target=write_until_stopped, args=(server, token, source_id, batch * WRITERS + w, out)
        )
        for w in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        out.stop.set()
        for thread in threads:
            thread.join(timeout=2 * REQUEST)
    assert not any(thread.is_alive() for thread in threads)


def assert_whole(url: str, when: str) -> None:
    """Nothing half-written, and `exchange-ledger verify` passes."""
    assert half_written(url) == {}, when
    checked = verify(url)
    assert checked.returncode == 0, f"{when}: {checked.stdout}{checked.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("victim", ["worker", "server"])
def test_kill_9_loses_no_acknowledged_write(fresh_url: str, tmp_path: Path, victim: str) -> None:
    token = make_token(fresh_url, "editor", "crash writer")
    out = Writes()
    with serving(fresh_url, tmp_path, extra_args=("--workers", "2")) as server:
        source = requests.post(
            server.base + "/v1/sources",
            json=load_report(),
            headers={"Authorization": f"Bearer {token}"},
            timeout=REQUEST,
        )
        assert source.status_code == 201, source.text
        source_id = source.json()["id"]
        with writers(server, token, source_id, out, batch=0):
            wait_for(lambda: out.acks() >= ACKS_BEFORE_KILL, "writes before the kill")
            master = server.process.pid
            workers = children(master)
            assert len(workers) == 2, workers
            victims = workers[:1] if victim == "worker" else [master, *workers]
            out.killed.set()
            kill_hard(victims)
            wait_gone(victims)
        # Right after the kill, before any restart or retry: what the crash left is whole.
        assert_whole(fresh_url, f"right after kill -9 of the {victim}")
        if victim == "worker":
            # The master replaces the worker; writes go on through it and the other one.
            with writers(server, token, source_id, out, batch=1):
                before = out.acks()
                wait_for(lambda: out.acks() >= before + ACKS_AFTER_KILL, "writes after the kill")
    # Every stored entry was acknowledged, or is an unanswered write that committed anyway.
    committed = len(stored_entry_ids(fresh_url)) - len(out.acknowledged)
    unanswered = len(out.unanswered)
    with serving(fresh_url, tmp_path, extra_args=("--workers", "2")) as again:
        # Retrying each unanswered request with its key writes it once: a replay of the write
        # that committed before the kill, or the write that never did.
        replayed = 0
        for key in out.unanswered:
            answer = post_entry(again, token, key, out.body[key])
            assert answer.status_code == 201, answer.text
            replayed += answer.headers.get("Idempotent-Replayed") == "true"
            out.acknowledged[key] = answer.json()["id"]
        totals = requests.get(
            again.base + "/v1/totals", params={"party": PARTY}, timeout=REQUEST
        ).json()
    print(  # the figures, for `pytest -s`
        f"\nkill -9 {victim}: {len(out.body)} keyed writes tried, "
        f"{len(out.body) - unanswered} acknowledged at once, {unanswered} unanswered, "
        f"{committed} of which had committed before the kill (and were replayed: {replayed})"
    )
    assert out.unexpected == []
    assert replayed == committed
    # Every write tried is stored exactly once, under the id its (last) answer gave.
    assert stored_entry_ids(fresh_url) == set(out.acknowledged.values())
    assert len(set(out.acknowledged.values())) == len(out.body)
    expected = sum(out.body[key]["count"] for key in out.acknowledged)
    assert totals["total"] == {"low": expected, "high": expected}
    assert_whole(fresh_url, "after the restart and the retries")
