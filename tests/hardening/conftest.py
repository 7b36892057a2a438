"""Hardening: the real server under concurrent writers, crashes, fuzzing and hostile input.

Every server here listens on 127.0.0.1 only, every loop is bounded in count and time, and
every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext, suppress
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from ledger.service import Ledger
from ledger.storage.database import Database

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
# The load tests' report, and the day every load entry tells of.
LOAD_REPORT_DATE = "2023-11-28"
LOAD_DAY = "2023-11-24"
LOAD_SENTENCE = "Hamas released hostages on each of these days, officials said."
LOAD_QUOTE = "Hamas released hostages"


def database_url(engine: str, workdir: Path, request: pytest.FixtureRequest) -> Any:
    """A context giving the URL of a new, empty database of the engine."""
    if engine == "sqlite":
        return nullcontext(f"sqlite:///{workdir / 'ledger.sqlite3'}")
    return request.getfixturevalue("new_postgres_database")()


@pytest.fixture(params=ENGINES)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database for one test, on each engine."""
    with database_url(request.param, tmp_path, request) as url:
        yield url


def load_report() -> dict[str, Any]:
    """The one report the load tests cite: its quote is unique, so evidence needs no number."""
    return {"text": f"date {LOAD_REPORT_DATE}\n{LOAD_SENTENCE}\n"}


def load_entry(source_id: str, name: str, count: int, party: str) -> dict[str, Any]:
    """An entry of one day whose nationality is its name: entries of distinct keys never merge
    into one event or a roll-up, so the totals are their plain sum."""
    return {
        "kind": "released",
        "population": "hostages",
        "count": count,
        "period": {"start": LOAD_DAY, "end": LOAD_DAY},
        "party": party,
        "nationality": name,
        "framework": "other",
        "description": "hostages (load test)",
        "evidence": [{"source": source_id, "quote": LOAD_QUOTE}],
    }


def children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers, for its master)."""
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def kill_hard(pids: list[int]) -> None:
    """SIGKILL each process by its id, as a crash or the OOM killer would."""
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_gone(pids: list[int], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return
        time.sleep(0.1)
    raise AssertionError(f"processes {pids} still run {seconds}s after SIGKILL")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def verify(url: str) -> subprocess.CompletedProcess[str]:
    """`exchange-ledger verify` on the database, as an operator runs it after a crash."""
    return subprocess.run(
        [sys.executable, "-m", "exchange_ledger", "verify"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LEDGER_DATABASE_URL": url},
    )


def counts(url: str) -> dict[str, int]:
    """Rows per table, read with the ledger's own repository."""
    database = Database(url)
    try:
        return Ledger(database).counts()
    finally:
        database.dispose()


# Plain SQL, not the ledger's code: each query lists rows that a half-done write would leave.
HALF_WRITTEN = {
    "entry without a revision": "SELECT e.id FROM entry e WHERE NOT EXISTS "
    "(SELECT 1 FROM entry_revision r WHERE r.entry_id = e.id)",
    "entry without revision 1": "SELECT e.id FROM entry e WHERE NOT EXISTS "
    "(SELECT 1 FROM entry_revision r WHERE r.entry_id = e.id AND r.revision = 1)",
    "revision without its entry": "SELECT r.id FROM entry_revision r WHERE NOT EXISTS "
    "(SELECT 1 FROM entry e WHERE e.id = r.entry_id)",
    "revision without evidence": "SELECT r.id FROM entry_revision r WHERE NOT EXISTS "
    "(SELECT 1 FROM evidence v WHERE v.entry_revision_id = r.id)",
    "evidence of no record": "SELECT v.id FROM evidence v WHERE v.entry_revision_id IS NULL "
    "AND v.term_revision_id IS NULL AND v.note_id IS NULL",
    "evidence of a missing revision": "SELECT v.id FROM evidence v "
    "WHERE v.entry_revision_id IS NOT NULL AND NOT EXISTS "
    "(SELECT 1 FROM entry_revision r WHERE r.id = v.entry_revision_id)",
    "evidence citing a missing source": "SELECT v.id FROM evidence v WHERE NOT EXISTS "
    "(SELECT 1 FROM source s WHERE s.id = v.source_id)",
    "entry not in the journal": "SELECT e.id FROM entry e WHERE NOT EXISTS "
    "(SELECT 1 FROM journal j WHERE j.subject = e.id AND j.action = 'entry.add')",
    "journal naming a missing entry": "SELECT j.subject FROM journal j "
    "WHERE j.action = 'entry.add' AND NOT EXISTS (SELECT 1 FROM entry e WHERE e.id = j.subject)",
    "source without sentences": "SELECT s.id FROM source s WHERE NOT EXISTS "
    "(SELECT 1 FROM sentence t WHERE t.source_id = s.id)",
}


def half_written(url: str) -> dict[str, list[Any]]:
    """Every half-written row, by what is wrong with it; empty when the store is whole."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = {
                name: [row[0] for row in connection.execute(text(query))]
                for name, query in HALF_WRITTEN.items()
            }
    finally:
        engine.dispose()
    return {name: rows for name, rows in found.items() if rows}


def stored_entry_ids(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {row[0] for row in connection.execute(text("SELECT id FROM entry"))}
    finally:
        engine.dispose()


def server_log_problems(log: Path) -> list[str]:
    """Lines of a server log that no healthy run writes."""
    bad = ("database is locked", "Traceback", "deadlock detected", "could not serialize")
    return [
        line for line in log.read_text(errors="replace").splitlines() if any(b in line for b in bad)
    ]
