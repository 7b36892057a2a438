"""Each worker works out the ledger in its first quiet moment; after a write, the first answer
(on whichever worker) moves on from it and is the answer a server that never answered before
gives, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.e2e.conftest import make_token
from tests.e2e.server import serving

QUESTIONS = [
    "/v1/totals?population=hostages&kind=released",
    "/v1/totals?population=hostages&kind=released&nationality=Thai",
    "/v1/checks",
    "/v1/still-held",
]


def test_after_a_write_each_worker_answers_as_a_new_server_would(empty_url, tmp_path):
    token = make_token(empty_url, "editor", "warm-up test")
    with serving(empty_url, tmp_path) as server:
        server.wait_for_log("warm-up done", times=2)  # both workers
        written = requests.post(
            f"{server.base}/v1/entries",
            json=_second_report(server.base, "ent_seed_parallel_thais", count=18),  # a conflict
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert written.status_code == 201, written.text
        # New connections, so that both workers answer, each moving on from its own.
        moved = [{q: _answer(server.base + q) for q in QUESTIONS} for _ in range(4)]
    # A new server, warming up not at all, works the same revision out from nothing when
    # asked.
    quiet = {"LEDGER_WARM_UP": "0"}
    with serving(empty_url, tmp_path, extra_args=("--workers", "1"), env=quiet) as fresh:
        anew = {q: _answer(fresh.base + q) for q in QUESTIONS}
        time.sleep(6)  # longer than a worker waits for its quiet moment
        assert "warm-up" not in fresh.log.read_text()
    assert all(answers == anew for answers in moved)
    assert any(c["entries"] for c in anew["/v1/checks"]["conflicts"])


def _second_report(base: str, entry_id: str, count: int) -> dict[str, Any]:
    entry = _answer(f"{base}/v1/entries/{entry_id}")
    kept = ("kind", "population", "period", "party", "nationality", "framework", "exchange",
            "qualifier")  # fmt: skip
    return {
        **{k: v for k, v in entry.items() if k in kept},
        "count": count,
        "description": "a second report of the same release",
        "evidence": [{k: e[k] for k in ("source", "sentence", "quote")} for e in entry["evidence"]],
    }


def _answer(url: str) -> Any:
    answer = requests.get(url, timeout=60)
    assert answer.status_code == 200, (url, answer.text)
    return answer.json()
