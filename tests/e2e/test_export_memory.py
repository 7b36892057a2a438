"""Exporting a large ledger streams: the server's memory does not grow with it.

A bound on resident memory, not a timing: the worker's peak RSS during a download may not
exceed its RSS before by more than GROWTH_BOUND_MB.

entries.csv holds one batch of rows at a time. totals.csv is written from the ledger's
analysis (each component worked out when first asked, once per revision, and kept for every
question asked of that revision): the first request computes it, and the download then holds
one day of rows at a time. The generated ledger has seven parties over 1,500 days, about 19
reports of each party's releases a day that agree with each other.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
from contextlib import nullcontext
from pathlib import Path

import pytest
import requests

from ledger.records import Entry, Evidence, Period
from ledger.service import Ledger
from ledger.storage.database import Database
from tests.e2e.server import serving

ENTRIES = {"sqlite": 200_000, "postgresql": 50_000}  # PostgreSQL's load is slower; the
GROWTH_BOUND_MB = 50  # server-side cursor is what is checked there, at a quarter of the size.
PARTIES, DAYS = 7, 1500  # the generated ledger's keys (one per party) and days
pytestmark = pytest.mark.slow


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def downloaded(base: str, table: str, worker: int) -> tuple[int, float]:
    """Stream one CSV to its end: its lines, and the worker's peak RSS growth meanwhile (MB)."""
    before = rss_mb(worker)
    peak, done = [before], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak.append(rss_mb(worker))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rows = 0
    try:
        with requests.get(f"{base}/v1/export/{table}.csv", stream=True, timeout=900) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                rows += bool(line)
    finally:
        done.set()
        sampler.join()
    return rows, max(peak) - before


def generated_ledger(url: str, size: int) -> None:
    """A large ledger built with the domain's constructors and loaded by the bulk path."""
    database = Database(url)
    database.migrate()
    ledger = Ledger(database)
    lines = "\n".join(f"Hamas released {i % 40} hostages on day {i}." for i in range(1000))
    source, _ = ledger.add_source(f"date 2023-11-28\n{lines}\n")
    sentences = source.sentences[1:]

    def entries():
        for i in range(size):
            sentence = sentences[i % len(sentences)]
            quote = sentence.text[:-1]
            day = dt.date(2020, 1, 1) + dt.timedelta(days=i % DAYS)
            yield Entry(
                id=f"ent_gen{i:08d}",
                kind=("released",),
                population="hostages",
                # Reports of one party's releases on one day agree: the same count.
                count=(i % (PARTIES * DAYS)) % 40,
                period=Period(day, day),
                party=f"Party {i % PARTIES}",
                framework="other",
                description=f"generated {i}",
                evidence=(
                    Evidence(
                        source=source.id,
                        sentence=sentence.n,
                        quote=quote,
                        start=sentence.start,
                        end=sentence.start + len(quote),
                    ),
                ),
            )

    assert ledger.import_entries(entries(), "generator") == size
    database.dispose()


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_exporting_a_large_ledger_keeps_memory_flat(engine, tmp_path, request):
    if engine == "sqlite":
        database = nullcontext(f"sqlite:///{tmp_path / 'large.sqlite3'}")
    else:
        database = request.getfixturevalue("new_postgres_database")()
    rows: dict[str, int] = {}
    with database as url:
        generated_ledger(url, ENTRIES[engine])
        with serving(url, tmp_path, extra_args=("--workers", "1")) as server:
            (worker,) = map(
                int,
                subprocess.run(
                    ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True
                ).stdout.split(),
            )
            growth = {}
            # The worker works out the ledger's analysis in its first quiet moment (its
            # warm-up): the baselines below come after it.
            server.wait_for_log("warm-up done")
            for table in ("entries", "totals"):
                # Warm up: import everything the export path needs and work out the ledger's
                # components (kept for the revision; a query of days before any entry asks
                # every component and lists no row), then take the baseline.
                warm_up = "party=none" if table == "entries" else "to=1900-01-01"
                requests.get(f"{server.base}/v1/export/{table}.csv?{warm_up}", timeout=300)
                rows[table], growth[table] = downloaded(server.base, table, worker)
    days = min(ENTRIES[engine], DAYS)
    assert rows == {"entries": ENTRIES[engine] + 1, "totals": days + 1}
    for table, grown in growth.items():
        print(f"{engine}: {table}.csv grew the worker's RSS by {grown:.1f} MB at its peak")
    assert growth["entries"] < GROWTH_BOUND_MB
    assert growth["totals"] < GROWTH_BOUND_MB
