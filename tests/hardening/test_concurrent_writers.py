"""Many writers at once through several gunicorn workers: every acknowledged write is stored
exactly once, retried keys write once (across workers and a restart), nothing fails with a lock
error, readers never see the ledger go back, and the totals are the sum the test computes.

8 writer threads send 250 entry POSTs each (LEDGER_LOAD_POSTS_PER_WRITER changes that), the
first half to a server with 2 gunicorn workers, the second half to the same database served
by 4; two reader threads poll the totals and the entry count meanwhile."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import make_token
from tests.e2e.server import Server, serving
from tests.hardening.conftest import (
    half_written,
    load_entry,
    load_report,
    server_log_problems,
    stored_entry_ids,
    verify,
)

WRITERS = 8
POSTS_PER_WRITER = int(os.environ.get("LEDGER_LOAD_POSTS_PER_WRITER", "250"))
# The server runs with 2 workers for the first half of each writer's POSTs, then restarts
# with 4 for the second half, on the same database.
PHASES = ((2, slice(0, POSTS_PER_WRITER // 2)), (4, slice(POSTS_PER_WRITER // 2, None)))
READS = ("/v1/totals", "/v1/entries")  # a reader thread each
READ_PAUSE = 2.0
REQUEST = 60
# Each phase must end well before this; a hung server fails the test instead of hanging CI.
PHASE_SECONDS = 420
PARTY = "Load party"
SHARED_EVERY = 25


@dataclass(frozen=True)
class Post:
    """One POST a writer sends, and what the answer must be."""

    logical: str  # the write it makes; retries of one write share it
    key: str | None
    body: dict[str, Any]
    status: int  # 201, or 422 for a key reused with another body


@dataclass
class Outcome:
    """What the writers and readers saw."""

    acknowledged: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    statuses: Counter[int] = field(default_factory=Counter)
    replayed: int = 0
    unexpected: list[str] = field(default_factory=list)
    reads: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrong(self, what: str) -> None:
        with self.lock:
            self.unexpected.append(what)


def plan(source_id: str) -> tuple[list[list[Post]], dict[str, int]]:
    """Each writer's POSTs, and the count of every distinct write they should make.

    Per writer: unkeyed writes; keyed writes, each retried once with the same body and then
    reused with another body (422); every 25th POST a key shared by all writers with the same
    body, so eight racing requests make one write; and after the restart, a retry of the
    first shared key, which must replay the answer given before it.
    """
    logical_count: dict[str, int] = {}

    def write(logical: str) -> dict[str, Any]:
        logical_count[logical] = 1 + (len(logical_count) * 7) % 9
        return load_entry(source_id, logical, logical_count[logical], PARTY)

    shared = {i: write(f"shared-{i}") for i in range(0, POSTS_PER_WRITER, SHARED_EVERY)}
    after_restart = POSTS_PER_WRITER // 2 + 1
    writers = []
    for w in range(WRITERS):
        posts: list[Post] = []
        for i in range(POSTS_PER_WRITER):
            if i in shared:
                posts.append(Post(f"shared-{i}", f"shared-{i}", shared[i], 201))
            elif i == after_restart:
                posts.append(Post("shared-0", "shared-0", shared[0], 201))
            elif i % 10 == 2:
                name = f"w{w}-keyed-{i}"
                posts.append(Post(name, name, write(name), 201))
            elif i % 10 == 3:
                first = posts[-1]
                posts.append(Post(first.logical, first.key, first.body, 201))
            elif i % 10 == 4:
                first = posts[-2]
                other = {**first.body, "count": first.body["count"] + 1}
                posts.append(Post(f"{first.logical}-conflict", first.key, other, 422))
            else:
                name = f"w{w}-plain-{i}"
                posts.append(Post(name, None, write(name), 201))
        writers.append(posts)
    return writers, logical_count


def run_writer(server: Server, token: str, posts: list[Post], out: Outcome, stop: float) -> None:
    for post in posts:
        if time.monotonic() > stop:
            out.wrong("a writer ran out of time")
            return
        headers = {"Authorization": f"Bearer {token}"}
        if post.key:
            headers["Idempotency-Key"] = post.key
        try:
            # A new connection per request (see run_reader).
            answer = requests.post(
                server.base + "/v1/entries", json=post.body, headers=headers, timeout=REQUEST
            )
        except requests.RequestException as error:
            out.wrong(f"{post.logical}: {error!r}")
            continue
        with out.lock:
            out.statuses[answer.status_code] += 1
        if answer.status_code != post.status or "locked" in answer.text:
            out.wrong(f"{post.logical}: {answer.status_code} {answer.text[:300]}")
        elif answer.status_code == 201:
            with out.lock:
                out.acknowledged[post.logical].add(answer.json()["id"])
                out.replayed += answer.headers.get("Idempotent-Replayed") == "true"
        elif "Idempotency-Key" not in answer.json().get("errors", {}):
            out.wrong(f"{post.logical}: 422 not about the key: {answer.text[:300]}")


def run_reader(server: Server, path: str, out: Outcome, done: threading.Event, stop: float) -> None:
    """Read while writers write: always 200, and never fewer entries than the read before.

    Each request opens its own connection: under load, gunicorn's gthread worker may close a
    kept-alive connection just as the client reuses it, a reset that a client must retry and
    that is no fault of the ledger.
    """
    last = -1
    while not done.is_set() and time.monotonic() < stop:
        try:
            paged = {"page_size": 1} if path == "/v1/entries" else {}
            answer = requests.get(
                server.base + path, params={"party": PARTY, **paged}, timeout=REQUEST
            )
        except requests.RequestException as error:
            out.wrong(f"reader of {path}: {error!r}")
            continue
        if answer.status_code != 200:
            out.wrong(f"reader of {path}: {answer.status_code} {answer.text[:300]}")
            continue
        if path == "/v1/totals":
            seen = answer.json()["total"]["low"]
        else:
            seen = int(answer.headers["X-Total-Count"])
        if seen < last:
            out.wrong(f"reader of {path} went back: {last} -> {seen}")
        last = seen
        with out.lock:
            out.reads += 1
        # Paced like a dashboard polling, so the writers, not the totals, make the load.
        done.wait(READ_PAUSE)


def run_phase(server: Server, token: str, writers: list[list[Post]], out: Outcome) -> None:
    """All writers and readers at once; returns when every writer is through."""
    done = threading.Event()
    stop = time.monotonic() + PHASE_SECONDS
    with ThreadPoolExecutor(max_workers=WRITERS + len(READS)) as pool:
        readers = [pool.submit(run_reader, server, path, out, done, stop) for path in READS]
        started = [pool.submit(run_writer, server, token, p, out, stop) for p in writers]
        try:
            for future in started:
                future.result(timeout=PHASE_SECONDS + REQUEST)
        finally:
            done.set()
        for future in readers:
            future.result(timeout=2 * REQUEST)


@pytest.mark.slow
def test_concurrent_writers_store_each_acknowledged_write_once(
    fresh_url: str, tmp_path: Path
) -> None:
    token = make_token(fresh_url, "editor", "load writer")
    out = Outcome()
    writers: list[list[Post]] = []
    for workers, part in PHASES:
        with serving(fresh_url, tmp_path, extra_args=("--workers", str(workers))) as server:
            if not writers:
                source = requests.post(
                    server.base + "/v1/sources",
                    json=load_report(),
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=REQUEST,
                )
                assert source.status_code == 201, source.text
                writers, logical_count = plan(source.json()["id"])
            run_phase(server, token, [posts[part] for posts in writers], out)
            totals = requests.get(
                server.base + "/v1/totals", params={"party": PARTY}, timeout=REQUEST
            ).json()
            listed = requests.get(
                server.base + "/v1/entries", params={"party": PARTY}, timeout=REQUEST
            )
        print(  # the figures, for `pytest -s`
            f"\nafter {workers} workers: {sum(out.statuses.values())} POSTs "
            f"{dict(out.statuses)}, {out.replayed} replayed, {len(out.acknowledged)} "
            f"acknowledged writes, {out.reads} reads"
        )
        assert out.unexpected == []
        assert server_log_problems(server.log) == []
    assert sum(out.statuses.values()) == WRITERS * POSTS_PER_WRITER
    # Every distinct write was acknowledged under exactly one id, and no two writes share one.
    assert set(out.acknowledged) == set(logical_count)
    assert all(len(ids) == 1 for ids in out.acknowledged.values()), "a retry wrote twice"
    acknowledged = {next(iter(ids)) for ids in out.acknowledged.values()}
    assert len(acknowledged) == len(logical_count)
    # The store holds exactly the acknowledged entries, each whole, and totals add them up.
    assert stored_entry_ids(fresh_url) == acknowledged
    assert int(listed.headers["X-Total-Count"]) == len(logical_count)
    expected = sum(logical_count.values())
    assert totals["total"] == {"low": expected, "high": expected}
    assert half_written(fresh_url) == {}
    checked = verify(fresh_url)
    assert checked.returncode == 0, checked.stderr
