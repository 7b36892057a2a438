"""`exchange-ledger serve`: migrates, seeds and serves with gunicorn on loopback."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.e2e.server import serving


def test_serve_migrates_seeds_and_answers_over_http(empty_url, tmp_path):
    with serving(empty_url, tmp_path) as server:
        status, body = server.get("/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, body = server.get("/readyz")
        assert status == 200, body
        workers = subprocess.run(
            ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(workers) == 2
    assert server.process.returncode == 0
    log = server.log.read_text()
    assert "seed ledger: sources: 2 added" in log
    assert "Booting worker" in log


def test_a_second_serve_on_the_same_database_adds_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'twice.sqlite3'}"
    for _ in range(2):
        with serving(url, tmp_path, extra_args=("--workers", "1", "--seed")) as server:
            pass
    assert "sources: 0 added, 2 present" in server.log.read_text()
    verified = subprocess.run(
        [sys.executable, "-m", "exchange_ledger", "verify"],
        capture_output=True,
        text=True,
        env={"LEDGER_DATABASE_URL": url, "PATH": "/usr/bin"},
    )
    assert verified.returncode == 0, verified.stderr
