"""Two servers on one PostgreSQL database, the shape of compose.yaml without Docker: writes
through both at once are each stored once, a write through one is in the next answer of the
other, and every answer is the same from either."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import Client, make_token
from tests.e2e.server import serving
from tests.hardening.conftest import (
    load_entry,
    load_report,
    server_log_problems,
    stored_entry_ids,
    verify,
)

pytestmark = pytest.mark.postgres

WRITERS = 4  # two per server
POSTS = 12  # per writer
RACED = 6  # keyed writes sent to both servers at once
PARTY = "Two-server party"
QUESTION = f"/v1/totals?population=hostages&kind=released&party={PARTY}&entries=false"


def test_two_servers_on_one_postgresql_database_answer_as_one(new_postgres_database, tmp_path):
    with (
        new_postgres_database() as url,
        serving(url, tmp_path) as first,
        serving(url, tmp_path, extra_args=("--workers", "2")) as second,
    ):
        token = make_token(url, "editor", "two-servers")
        clients = (Client(first, token), Client(second, token))
        made = clients[0].post("/v1/sources", json=load_report())
        assert made.status_code == 201, made.text
        source = made.json()["id"]
        assert clients[1].get(f"/v1/sources/{source}").status_code == 200

        counts: dict[str, int] = {}
        lock = threading.Lock()

        def write(writer: int) -> list[str]:
            client = clients[writer % 2]
            ids = []
            for n in range(POSTS):
                count = 1 + (writer + n) % 4
                body = load_entry(source, f"Server writer {writer} {n}", count, PARTY)
                answer = client.post("/v1/entries", json=body)
                assert answer.status_code == 201, answer.text
                ids.append(answer.json()["id"])
                with lock:
                    counts[ids[-1]] = count
            return ids

        def race(n: int) -> set[str]:
            """The same keyed write sent through both servers at once: one write, one id."""
            body = load_entry(source, f"Raced write {n}", 2, PARTY)
            headers = {"Idempotency-Key": f"two-servers-{uuid.uuid4()}"}
            with ThreadPoolExecutor(2) as both:
                answers = list(
                    both.map(lambda c: c.post("/v1/entries", json=body, headers=headers), clients)
                )
            assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
            assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
            ids = {a.json()["id"] for a in answers}
            with lock:
                counts[next(iter(ids))] = 2
            return ids

        with ThreadPoolExecutor(WRITERS + 2) as pool:
            written = pool.map(write, range(WRITERS))
            raced = pool.map(race, range(RACED))
            acknowledged = [i for ids in written for i in ids]
            raced_ids = list(raced)

        assert all(len(ids) == 1 for ids in raced_ids)
        acknowledged += [next(iter(ids)) for ids in raced_ids]
        assert len(set(acknowledged)) == WRITERS * POSTS + RACED
        assert set(acknowledged) <= stored_entry_ids(url)

        # Every answer is the same from either server, and counts each write once.
        expected = sum(counts.values())
        answers = [c.get(QUESTION) for c in clients]
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[0].content == answers[1].content
        assert answers[0].headers["ETag"] == answers[1].headers["ETag"]
        assert answers[0].json()["total"] == {"low": expected, "high": expected}
        listed = [c.get(f"/v1/entries?party={PARTY}&page_size=500").json() for c in clients]
        assert listed[0] == listed[1]
        assert {e["id"] for e in listed[0]} == set(acknowledged)

        # A write through one server is in the very next answer of the other, both ways.
        for writer, reader in (clients, clients[::-1]):
            before = reader.get(QUESTION).json()
            body = load_entry(source, f"Crossed write {uuid.uuid4().hex[:8]}", 3, PARTY)
            assert writer.post("/v1/entries", json=body).status_code == 201
            after = reader.get(QUESTION).json()
            assert after["revision"] == before["revision"] + 1
            assert after["total"]["low"] == before["total"]["low"] + 3

        for server in (first, second):
            assert server_log_problems(server.log) == []
        checked = verify(url)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_compose_file_names_two_app_servers_one_database_and_a_buffering_proxy():
    root = Path(__file__).resolve().parents[2]
    compose = yaml.safe_load((root / "compose.yaml").read_text())
    services = compose["services"]
    apps = [name for name, s in services.items() if s.get("build") == "."]
    assert len(apps) == 2
    urls = {services[name]["environment"]["LEDGER_DATABASE_URL"] for name in apps}
    assert len(urls) == 1 and next(iter(urls)).startswith("postgresql+psycopg://")
    proxy = (root / "deploy" / "nginx.conf").read_text()
    assert "proxy_request_buffering on;" in proxy
    assert all(f"server {name}:8000" in proxy for name in apps)
