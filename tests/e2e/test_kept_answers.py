"""An answer computed once is kept for the other workers and later processes, at its revision
only; over HTTP against the real server."""

from __future__ import annotations

import zlib

from sqlalchemy import create_engine, text

from tests.e2e.server import serving

QUERY = "/v1/totals?population=hostages&kind=released"
KEEP_EVERY_ANSWER = {"LEDGER_KEEP_ANSWERS_AFTER_S": "0"}


def kept_rows(url: str) -> list[tuple[str, int, bytes]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT address, revision, body FROM kept_answer"))
        found = [(address, revision, zlib.decompress(body)) for address, revision, body in rows]
    engine.dispose()
    return found


def test_a_later_process_answers_with_what_an_earlier_one_computed(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with serving(url, tmp_path, env=KEEP_EVERY_ANSWER) as server:
        status, body = server.get(QUERY)
        assert status == 200
    ((_, revision, kept),) = [row for row in kept_rows(url) if row[0] == QUERY]
    assert kept == body
    # Marked behind its back, the kept answer is what the next process serves: it did not
    # compute it again (verify would name it; see tests/cli/test_cli.py).
    marked = body.replace(b'"revision":', b'"kept": true, "revision":', 1)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE kept_answer SET body = :b"), {"b": zlib.compress(marked)})
    engine.dispose()
    extra = ("--workers", "2")
    with serving(url, tmp_path, extra_args=extra, env=KEEP_EVERY_ANSWER) as server:
        assert server.get(QUERY) == (200, marked)
        # A write moves the revision on: the kept answer is never served again.
        token = _token(url)
        report = {"text": "date 2023-11-29\nA new report."}
        assert _post(server.base, "/v1/sources", token, report) == 201
        status, fresh = server.get(QUERY)
        assert status == 200 and b'"kept": true' not in fresh
    assert {row[1] for row in kept_rows(url)} == {revision + 2}  # the token, then the report


def _token(url: str) -> str:
    from tests.e2e.conftest import make_token

    return make_token(url, "editor", "kept answers")


def _post(base: str, path: str, token: str, body: dict) -> int:
    import requests

    answer = requests.post(
        base + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    return answer.status_code
