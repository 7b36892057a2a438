"""`make bench`: P1-P5, each as a ratio to its peer measured in the same run; P6, the
counting engine's solver path, against its target; P7, a 10 MB report of one paragraph stored
over HTTP, against pysbd on its sentences.

python -m bench [--entries N] [--reports N] [--seconds S] [--rounds R] [--only P1,P3]
                [--report-mb MB]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import generate, report, shaped
from bench.harness import BIN, download, free_port, serving, timed, wrk

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results" / "latest.json"
POSTGRES = os.environ.get(
    "LEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
GUNICORN = ["-w", "2", "-k", "gthread", "--threads", "4", "--timeout", "60"]
GUNICORN += ["--graceful-timeout", "30", "--access-logfile", "-", "--error-logfile", "-"]
# The P2 query of the peers: the newest revision of each entry, the headline series, per day
# and cumulatively (GROUP BY + window SUM).
TOTALS_SQL = """
WITH live AS (
  SELECT r.period_end AS day, r.count AS n FROM entry_revision r
  WHERE r.population = 'hostages' AND r.kind = 'released' AND NOT r.retracted
    AND r.revision = (SELECT max(l.revision) FROM entry_revision l WHERE l.entry_id = r.entry_id)
), daily AS (SELECT day, sum(n) AS n FROM live GROUP BY day)
SELECT day, n, sum(n) OVER (ORDER BY day) FROM daily ORDER BY day;
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000, help="ledger size for P2, P3")
    parser.add_argument("--reports", type=int, default=10_000, help="reports ingested in P5")
    parser.add_argument("--seconds", type=float, default=5, help="each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating wrk runs per pair")
    parser.add_argument("--only", default="P1,P2,P3,P4,P5,P6,P7")
    parser.add_argument("--report-mb", type=float, default=10, help="P7's report, in MB")
    parser.add_argument("--totals-timeout", type=float, default=1800, help="P2 service, seconds")
    options = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    wanted = set(options.only.upper().split(","))
    started = time.monotonic()
    results: dict[str, object] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "make bench" + _make_args(options),
        "machine": report.machine(),
        "versions": report.versions(POSTGRES),
        "options": vars(options),
    }
    postgres = _postgres_reachable()
    results["postgres"] = postgres
    ledgers = _Ledgers(options.entries, postgres)
    figures = {
        "P1": lambda: p1(options),
        "P2": lambda: p2(options, ledgers),
        "P3": lambda: p3(ledgers),
        "P4": lambda: p4(options, postgres),
        "P5": lambda: p5(options),
        "P6": p6,
        "P7": lambda: p7(options),
    }
    errors = {}
    try:
        for name, measure in figures.items():
            if name not in wanted:
                continue
            try:
                results[name] = measure()
            except (OSError, RuntimeError, subprocess.SubprocessError, ValueError) as error:
                # One figure failing must not lose the others; the table says which failed.
                errors[name] = f"{type(error).__name__}: {error}"[:300]
                print(f"{name} failed: {errors[name]}")
    finally:
        ledgers.drop()
    results["errors"] = errors
    if wanted != set(figures) and RESULTS.exists():
        # A partial run (--only) keeps the other figures of the previous run, and says so.
        previous = json.loads(RESULTS.read_text())
        kept = [name for name in figures if name not in wanted and name in previous]
        results.update({name: previous[name] for name in kept})
        results["measured_when"] = {
            name: previous.get("measured_when", {}).get(name, previous.get("when")) for name in kept
        }
        results["kept_from_previous_run"] = {"when": previous.get("when"), "figures": kept}
    results["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    table = report.table(results)
    print(table)
    report.write_docs(results, table)
    print(f"\n{RESULTS.relative_to(ROOT)} and docs/benchmarks.md written")
    return 0


def _make_args(options: argparse.Namespace) -> str:
    extra = []
    if options.entries != 1_000_000:
        extra.append(f"BENCH_ENTRIES={options.entries}")
    if options.reports != 10_000:
        extra.append(f"BENCH_REPORTS={options.reports}")
    return (" " + " ".join(extra)) if extra else ""


# --- P1: GET /v1/totals on the seed ledger against bare Flask -------------------------------


def p1(options: argparse.Namespace) -> dict[str, object]:
    folder = _fresh(WORK / "p1")
    url = f"sqlite:///{folder / 'seed.sqlite3'}"
    port, bare_port = free_port(), free_port()
    service_args = [str(BIN / "exchange-ledger"), "serve", "--seed", "--workers", "2"]
    service_args += ["--host", "127.0.0.1", "--port", str(port)]
    env = {"LEDGER_DATABASE_URL": url}
    with serving(service_args, port, folder / "service.log", env, cwd=folder) as service:
        body, etag = _get(service.base + "/v1/totals")
        (folder / "body.json").write_bytes(body)
        bare_args = [str(BIN / "gunicorn"), *GUNICORN, "-b", f"127.0.0.1:{bare_port}"]
        bare_env = {"BENCH_BODY_FILE": str(folder / "body.json")}
        with serving(
            [*bare_args, "bench.bare_app:app"], bare_port, folder / "bare.log", bare_env,
            ready="/v1/totals", cwd=ROOT,
        ) as bare:  # fmt: skip
            _, bare_etag = _get(bare.base + "/v1/totals")
            runs: dict[str, list[float]] = {k: [] for k in ("svc", "bare", "svc304", "bare304")}
            for _ in range(options.rounds):
                runs["bare"].append(wrk(bare.base + "/v1/totals", options.seconds).per_second)
                runs["svc"].append(wrk(service.base + "/v1/totals", options.seconds).per_second)
                header = [f"If-None-Match: {bare_etag}"]
                runs["bare304"].append(
                    wrk(bare.base + "/v1/totals", options.seconds, headers=header).per_second
                )
                header = [f"If-None-Match: {etag}"]
                runs["svc304"].append(
                    wrk(service.base + "/v1/totals", options.seconds, headers=header).per_second
                )
    median = {name: statistics.median(values) for name, values in runs.items()}
    return {
        "body_bytes": len(body),
        "runs_rps": runs,
        "service_rps": median["svc"],
        "bare_rps": median["bare"],
        "ratio": median["svc"] / median["bare"],
        "service_304_rps": median["svc304"],
        "bare_304_rps": median["bare304"],
        "ratio_304": median["svc304"] / median["bare304"],
    }


def _get(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read(), response.headers["ETag"]


# --- the generated ledgers of P2 and P3 ------------------------------------------------------


class _Ledgers:
    """The N-entry ledger on SQLite (and PostgreSQL), generated once when first asked for."""

    def __init__(self, entries: int, postgres: bool) -> None:
        self.entries, self.postgres = entries, postgres
        self.sqlite_path = WORK / f"ledger-{entries}.sqlite3"
        self.pg_name = f"ledger_bench_{entries}_{os.getpid()}"
        self.timings: dict[str, dict[str, float]] = {}
        self._pg_made = False

    def sqlite(self) -> str:
        url = f"sqlite:///{self.sqlite_path}"
        if "sqlite" not in self.timings:
            for stale in WORK.glob(f"{self.sqlite_path.name}*"):
                stale.unlink()
            self.timings["sqlite"] = generate.build(url, self.entries)
            print(f"generated {self.entries:,} entries on SQLite: {self.timings['sqlite']}")
        return url

    def pg(self) -> str:
        url = make_url(POSTGRES).set(database=self.pg_name).render_as_string(False)
        if not self._pg_made:
            _admin(f'CREATE DATABASE "{self.pg_name}"')
            self._pg_made = True
            self.timings["postgresql"] = generate.build(url, self.entries)
            print(f"generated {self.entries:,} entries on PostgreSQL: {self.timings['postgresql']}")
        return url

    def drop(self) -> None:
        if self._pg_made:
            _drop(self.pg_name)


def _postgres_reachable() -> bool:
    try:
        _admin("SELECT 1")
    except Exception as error:  # any failure means: skip PostgreSQL, and say why
        print(f"PostgreSQL at {POSTGRES} not reachable ({error}); its figures are skipped")
        return False
    return True


def _admin(statement: str) -> None:
    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _drop(name: str) -> None:
    _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    _admin(f'DROP DATABASE IF EXISTS "{name}"')


def _psql(url: str) -> list[str]:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
    return ["psql", "-X", "-q", "-A", "-t", "-o", "/dev/null", conninfo]


# --- P2: totals over N entries, cold and warm ------------------------------------------------


def p2(options: argparse.Namespace, ledgers: _Ledgers) -> dict[str, object]:
    """/v1/totals over the generated ledger, over HTTP, against the equivalent SQL query.

    The service: a new server's first answer ever (it reads the ledger, computes, keeps the
    answer), then a new server again at the same revision (cold: new processes) and repeated
    requests (warm), for the figures alone (`entries=false&findings=false`: per day, the
    interval the peer's query gives one number for) and for the whole answer (each day's
    entries, the conflicts and checks too). The peers: the GROUP BY + window SUM query
    in the sqlite3 shell and psql, each a new process.
    """
    found: dict[str, object] = {"entries": ledgers.entries, "query": TOTALS_SQL.strip()}
    engines = [("sqlite", ledgers.sqlite)]
    if ledgers.postgres:
        engines.append(("postgresql", ledgers.pg))
    folder = _fresh(WORK / "p2")
    for engine, make in engines:
        url = make()
        if engine == "sqlite":
            shell = ["sqlite3", str(ledgers.sqlite_path)]
            peer_cold, _ = timed([*shell, TOTALS_SQL])
            peer_warm = min(timed([*shell, TOTALS_SQL])[0] for _ in range(3))
        else:
            peer_cold, _ = timed([*_psql(url), "-c", TOTALS_SQL])
            peer_warm = min(timed([*_psql(url), "-c", TOTALS_SQL])[0] for _ in range(3))
        try:
            service = _served_totals(url, folder, engine, options.totals_timeout)
        except (OSError, RuntimeError) as error:
            service = {"failed": f"{type(error).__name__}: {error}"[:160]}
        found[engine] = {
            "service": service,
            "peer": "sqlite3 shell" if engine == "sqlite" else "psql",
            "peer_cold_s": peer_cold,
            "peer_warm_s": peer_warm,
        }
    found["load_s"] = ledgers.timings
    return found


TOTALS_PATH = "/v1/totals?population=hostages&kind=released"
FIGURES_PATH = TOTALS_PATH + "&entries=false&findings=false"
WARM_RUNS = 20
# Writes between the moment an as_of question asks about and the head (issue 15).
AS_OF_WRITES = 1_000


def _served_totals(url: str, folder: Path, engine: str, timeout: float) -> dict[str, object]:
    import requests

    def get(session: requests.Session, base: str, path: str) -> tuple[float, int]:
        started = time.perf_counter()
        answer = session.get(base + path, timeout=timeout)
        answer.raise_for_status()
        return time.perf_counter() - started, len(answer.content)

    args = [str(BIN / "exchange-ledger"), "serve", "--workers", "2", "--host", "127.0.0.1"]
    env = {"LEDGER_DATABASE_URL": url}
    found: dict[str, object] = {}
    port = free_port()
    log = folder / f"service-{engine}.log"
    started = serving([*args, "--port", str(port)], port, log, env, cwd=folder)
    with started as server, requests.Session() as session:
        found["first_s"], found["whole_bytes"] = get(session, server.base, TOTALS_PATH)
        _, found["figures_bytes"] = get(session, server.base, FIGURES_PATH)
        # The moment an editor waits for: a report recorded, then the first answer after it,
        # on a new connection each time (either worker may take it, once each has worked
        # out the ledger in its first quiet moment).
        _logged(log, "warm-up done", times=2, timeout=timeout)
        token = _token(env, folder)
        pages, tries = itertools.count(1), itertools.count()

        def write() -> tuple[float, str]:
            while True:
                started = time.perf_counter()
                posted = session.post(
                    server.base + "/v1/entries",
                    json=_second_report(server.base, next(pages)),
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=timeout,
                )
                if posted.status_code == 422 and next(tries) < 100:
                    continue  # generated entries may cite a report dated before their days
                if not posted.ok:
                    raise RuntimeError(f"a write was refused: {posted.text[:300]}")
                return time.perf_counter() - started, posted.json()["recorded_at"]

        after, figures_after, writes = [], [], []
        while len(after) < report.AFTER_WRITES:
            writes.append(write()[0])
            # The figures first (the read model's query), then the whole answer (each
            # day's entries and findings, worked out from the analysis).
            with requests.Session() as fresh:
                figures_after.append(get(fresh, server.base, FIGURES_PATH)[0])
            with requests.Session() as fresh:
                after.append(get(fresh, server.base, TOTALS_PATH)[0])
        found["after_write_s"] = after
        found["figures_after_write_s"] = figures_after
        # As of a moment before the last AS_OF_WRITES writes: the rows in force then.
        _, moment = write()
        writes += [write()[0] for _ in range(AS_OF_WRITES)]
        found["write_s"] = statistics.median(writes)
        found["as_of_writes"] = AS_OF_WRITES
        as_of = FIGURES_PATH + "&as_of=" + urllib.parse.quote(moment)
        with requests.Session() as fresh:
            found["figures_as_of_s"], _ = get(fresh, server.base, as_of)
        get(session, server.base, FIGURES_PATH)  # kept too, at the revision the next reads
    port = free_port()
    started = serving([*args, "--port", str(port)], port, log, env, cwd=folder)
    with started as server, requests.Session() as session:
        for name, path in (("figures", FIGURES_PATH), ("whole", TOTALS_PATH)):
            found[f"{name}_cold_s"], _ = get(session, server.base, path)
            warm = [get(session, server.base, path)[0] for _ in range(WARM_RUNS)]
            found[f"{name}_warm_s"] = statistics.median(warm)
    return found


def _logged(log: Path, line: str, times: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while log.read_text().count(line) < times:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server logged {line!r} fewer than {times} times")
        time.sleep(1)


def _token(env: dict[str, str], folder: Path) -> str:
    return subprocess.run(
        [str(BIN / "exchange-ledger"), "token", "create", "--role", "editor"],
        capture_output=True, text=True, check=True, env={**os.environ, **env}, cwd=folder,
    ).stdout.strip().splitlines()[-1]  # fmt: skip


def _second_report(base: str, page: int) -> dict[str, object]:
    """A second report of one entry's release, as it states it: the same figure for the
    same people and days, quoting the same sentence."""
    body, _ = _get(f"{base}/v1/entries?page_size=1&page={page}")
    entry = json.loads(body)[0]
    kept = ("kind", "population", "count", "qualifier", "count_high", "period", "party",
            "nationality", "framework", "exchange", "batch")  # fmt: skip
    return {
        **{k: entry[k] for k in kept if entry.get(k) is not None},
        "description": "a second report of the same release (benchmark)",
        "evidence": [
            {k: e[k] for k in ("source", "sentence", "quote")} for e in entry["evidence"][:1]
        ],
    }


# --- P3: entries.csv against Datasette and sqlite3 -csv -------------------------------------


def p3(ledgers: _Ledgers, rounds: int = 3) -> dict[str, object]:
    """entries.csv against Datasette's streamed CSV and `sqlite3 -csv` of entry_revision.

    Not the same work, and the table says so: the service's file is the entries in force with
    what users need joined in (corroboration, sources and quotes from their evidence, formula
    defusing; 20 columns), read from the rows stored beside each revision when it was written;
    the peers write the raw entry_revision table as they read it (19 columns, no evidence).
    Every side is warmed up first; the service and the shell alternate, medians compared.
    """
    url = ledgers.sqlite()
    folder = _fresh(WORK / "p3")
    port, datasette_port = free_port(), free_port()
    args = [str(BIN / "exchange-ledger"), "serve", "--workers", "1"]
    args += ["--host", "127.0.0.1", "--port", str(port)]
    shell = ["sh", "-c", f"sqlite3 -csv -header {ledgers.sqlite_path} "
             "'SELECT * FROM entry_revision' > /dev/null"]  # fmt: skip
    services, shell_runs = [], []
    with serving(args, port, folder / "service.log", {"LEDGER_DATABASE_URL": url}, cwd=folder) as s:
        workers = s.workers()
        download(s.base + "/v1/export/entries.csv?party=none", workers)  # warm up, as a test does
        timed(shell)
        for _ in range(rounds):
            services.append(download(s.base + "/v1/export/entries.csv", workers))
            shell_runs.append(timed(shell)[0])
    name = ledgers.sqlite_path.stem
    datasette_args = [str(BIN / "datasette"), "serve", str(ledgers.sqlite_path)]
    datasette_args += ["--host", "127.0.0.1", "--port", str(datasette_port)]
    datasette_args += ["--setting", "max_csv_mb", "0", "--setting", "sql_time_limit_ms", "60000"]
    with serving(
        datasette_args, datasette_port, folder / "datasette.log", {}, ready="/-/versions.json"
    ) as d:
        table = f"{d.base}/{name}/entry_revision.csv"
        download(f"{table}?_size=1", d.workers())  # warm up
        peer = download(f"{table}?_stream=on&_size=max", d.workers())
    service = sorted(services, key=lambda run: run.seconds)[len(services) // 2]  # the median
    if not service.lines == peer.lines == ledgers.entries + 1:
        raise RuntimeError(f"P3 compared files of {service.lines} and {peer.lines} lines")
    shell_s = statistics.median(shell_runs)
    return {
        "entries": ledgers.entries,
        "rounds": rounds,
        "compares": "service: GET /v1/export/entries.csv (entries in force, evidence joined, "
        "20 columns, from rows stored at write time); peers: the raw entry_revision table "
        "(19 columns, no evidence), Datasette ?_stream=on and sqlite3 -csv",
        "service": vars(service),
        "service_runs_s": [run.seconds for run in services],
        "datasette": vars(peer),
        "sqlite3_csv_s": shell_s,
        "sqlite3_csv_runs_s": shell_runs,
        "vs_datasette": (peer.seconds / service.seconds),
        "vs_sqlite3": service.seconds / shell_s,
        "rss_growth_mb": max(run.rss_peak_mb - run.rss_before_mb for run in services),
    }


# --- P4: sustained entry writes, 2 workers -------------------------------------------------


def p4(options: argparse.Namespace, postgres: bool) -> dict[str, object]:
    folder = _fresh(WORK / "p4")
    found: dict[str, object] = {}
    engines = ["sqlite"] + (["postgresql"] if postgres else [])
    for engine in engines:
        with _write_databases(engine, folder) as (url, bare_url):
            found[engine] = _writes(options, folder, engine, url, bare_url)
    return found


@contextmanager
def _write_databases(engine: str, folder: Path) -> Iterator[tuple[str, str]]:
    if engine == "sqlite":
        bare = folder / "bare.sqlite3"
        import sqlite3

        with sqlite3.connect(bare) as connection:
            connection.execute("CREATE TABLE bare_write (id INTEGER PRIMARY KEY, body TEXT)")
        yield f"sqlite:///{folder / 'writes.sqlite3'}", f"sqlite:///{bare}"
        return
    name = f"ledger_bench_writes_{os.getpid()}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(POSTGRES).set(database=name)
        engine_ = create_engine(url)
        with engine_.begin() as connection:
            connection.execute(text("CREATE TABLE bare_write (id serial PRIMARY KEY, body text)"))
        engine_.dispose()
        plain = url.set(drivername="postgresql").render_as_string(False)
        yield url.render_as_string(False), plain
    finally:
        _drop(name)


def _writes(
    options: argparse.Namespace, folder: Path, engine: str, url: str, bare_url: str
) -> dict[str, object]:
    port, bare_port = free_port(), free_port()
    env = {"LEDGER_DATABASE_URL": url}
    args = [str(BIN / "exchange-ledger"), "serve", "--seed", "--workers", "2"]
    args += ["--host", "127.0.0.1", "--port", str(port)]
    with serving(args, port, folder / f"service-{engine}.log", env, cwd=folder) as service:
        token = _token(env, folder)
        evidence = _first_evidence(service.base)
        bodies = [_entry_body(evidence, day) for day in range(WRITE_DAYS)]
        script = folder / f"post-{engine}.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {token}"\n'
            "bodies = {\n" + "".join(f"[==[{json.dumps(body)}]==],\n" for body in bodies) + "}\n"
            "sent = 0\n"
            "request = function()\n"
            "  sent = sent + 1\n"
            "  return wrk.format(nil, nil, nil, bodies[sent % #bodies + 1])\n"
            "end\n"
        )
        bare_args = [str(BIN / "gunicorn"), *GUNICORN, "-b", f"127.0.0.1:{bare_port}"]
        bare_env = {"BENCH_WRITE_URL": bare_url}
        with serving(
            [*bare_args, "bench.bare_app:app"], bare_port, folder / f"bare-{engine}.log",
            bare_env, ready="/v1/totals", cwd=ROOT,
        ) as bare:  # fmt: skip
            runs: dict[str, list[float]] = {"svc": [], "bare": []}
            failed = 0
            for _ in range(options.rounds):
                load = wrk(bare.base + "/v1/entries", options.seconds, 4, script=script)
                runs["bare"].append(load.per_second)
                load = wrk(service.base + "/v1/entries", options.seconds, 4, script=script)
                runs["svc"].append(load.per_second)
                failed += load.failed
    service_rate, bare_rate = statistics.median(runs["svc"]), statistics.median(runs["bare"])
    return {
        "runs_per_s": runs,
        "service_writes_per_s": service_rate,
        "bare_writes_per_s": bare_rate,
        "ratio": service_rate / bare_rate,
        "service_failed": failed,
    }


# P4's writes are spread over this many days, one entry a day in turn: an editor records
# reports of many releases, and a write's components are those of its own day (the same
# entry written again and again would grow one component of copies, which no exchange has).
WRITE_DAYS = 1_000
FIRST_WRITE_DAY = dt.date(2020, 1, 1)


def _first_evidence(base: str) -> dict[str, object]:
    return json.loads(_get(base + "/v1/entries?page_size=1")[0])[0]["evidence"][0]


def _entry_body(evidence: dict[str, object], day: int) -> dict[str, object]:
    on = (FIRST_WRITE_DAY + dt.timedelta(days=day)).isoformat()
    return {
        "kind": "released", "population": "hostages", "count": 3, "qualifier": "exact",
        "period": {"start": on, "end": on}, "party": "Bench",
        "framework": "other", "description": "benchmark write",
        "evidence": [{"source": evidence["source"], "sentence": evidence["sentence"],
                      "quote": evidence["quote"]}],
    }  # fmt: skip


# --- P5: ingesting generated reports against pysbd -----------------------------------------


def p5(options: argparse.Namespace) -> dict[str, object]:
    folder = _fresh(WORK / "p5")
    _, out = timed(
        [sys.executable, "-m", "bench.probes", "ingest", str(options.reports), str(folder)],
        cwd=ROOT,
    )
    found = json.loads(out)
    found["ratio"] = found["pysbd_s"] / found["ingest_s"]
    return found


def _fresh(folder: Path) -> Path:
    with suppress(FileNotFoundError):
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


if __name__ == "__main__":
    raise SystemExit(main())


# --- P6: the solver's path ----------------------------------------------------------------------

REPEATING_SOURCES = 30  # P6: sources telling each side of one conflict
SOLVER_DAYS = 55  # daily handovers whose reports make one non-nested component of over 200


def p6() -> dict[str, object]:
    """The first answer about one exchange whose reports do not nest (HiGHS, not the nested
    path): its statements analysed, the totals of hostages released with every finding, and
    the ledger's conflicts and implied counts, from nothing, in this process; median of 5."""
    from ledger.counting import analyse
    from ledger.records import Period, Statement, reported_range
    from ledger.scope import Scope
    from ledger.totals import answer, ask, findings

    exchange, rows = shaped.crossing(SOLVER_DAYS)
    statements = []
    for n, row in enumerate(rows):
        kinds, population, count, qualifier, start, end, party, nats, fw, x, batch, _ = row
        low, high = reported_range(qualifier, count, None)
        scope = Scope(population, kinds, party, nats, fw, x, batch)
        statements.append(Statement(f"ent_{n:05d}", scope, Period(start, end), low, high))
    days = {exchange.id: Period(exchange.first, exchange.last)}
    question = ask(population="hostages", kind="released")
    runs, rows_solved = [], 0
    for _ in range(5):
        started = time.perf_counter()
        analysis = analyse(statements, days)
        answer(analysis, question, None, None)
        findings(analysis)
        runs.append(time.perf_counter() - started)
        crossing = [c for c in analysis.components if not c.nested]
        rows_solved = max((len(c.rows) for c in crossing), default=0)
    repeated, repeated_runs = _repeated_conflict(REPEATING_SOURCES), []
    for _ in range(5):
        started = time.perf_counter()
        analysis = analyse(repeated, {})
        answer(analysis, question, None, None)
        findings(analysis)
        repeated_runs.append(time.perf_counter() - started)
    return {
        "statements": len(statements),
        "component_rows": rows_solved,
        "seconds": statistics.median(runs),
        "runs_s": runs,
        "repeating_sources": REPEATING_SOURCES,
        "repeated_seconds": statistics.median(repeated_runs),
    }


def _repeated_conflict(sources: int) -> list[object]:
    """One day's release told by `sources` sources each as an aggregate (24) and as a
    breakdown (13 and 12) that cannot both be true: every report has as many twins."""
    from ledger.records import Period, Statement
    from ledger.scope import Scope

    day = Period(dt.date(2023, 11, 24), dt.date(2023, 11, 24))
    said = Scope("hostages", ("released",))
    figures = [(None, 24), (("Israeli",), 13), (("Thai",), 12)]
    return [
        Statement(f"ent_{n:02d}_{s:03d}", said._replace(nationality=who), day, count, count)
        for n, (who, count) in enumerate(figures)
        for s in range(sources)
    ]


# --- P7: one long paragraph stored over HTTP ----------------------------------------------------


def p7(options: argparse.Namespace) -> dict[str, object]:
    """A report of one paragraph of `--report-mb` MB POSTed to a served ledger (SQLite, 2
    workers) until its answer, with an entry POSTed every second meanwhile (the slowest of
    those answers shows whether the report held other writes); the peer is pysbd alone, in
    one process, on the same text cut at its stored sentence ends."""
    import pysbd

    folder = _fresh(WORK / "p7")
    text = generate.paragraph(int(options.report_mb * 1024 * 1024))
    port = free_port()
    env = {"LEDGER_DATABASE_URL": f"sqlite:///{folder / 'p7.sqlite3'}"}
    args = [str(BIN / "exchange-ledger"), "serve", "--seed", "--workers", "2"]
    args += ["--host", "127.0.0.1", "--port", str(port)]
    with serving(args, port, folder / "service.log", env, cwd=folder) as service:
        token = _token(env, folder)
        entry = json.dumps(_entry_body(_first_evidence(service.base), 0)).encode()
        waits: list[float] = []
        stored = threading.Event()
        writer = threading.Thread(
            target=_write_every_second, args=(service.base, token, entry, stored, waits)
        )
        writer.start()
        body = json.dumps({"text": text}).encode()
        started = time.perf_counter()
        try:
            answer = _post(service.base + "/v1/sources", token, body, timeout=3600)
        finally:
            stored.set()
            writer.join()
        store_s = time.perf_counter() - started
        source = json.loads(answer)
        listed, _ = _get(f"{service.base}/v1/sources/{source['id']}/sentences")
    sentences = [sentence["text"] for sentence in json.loads(listed)]
    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    started = time.perf_counter()
    for sentence in sentences:
        segmenter.segment(sentence)
    pysbd_s = time.perf_counter() - started
    return {
        "bytes": len(text.encode()),
        "sentences": len(sentences),
        "store_s": store_s,
        "pysbd_s": pysbd_s,
        "ratio": store_s / pysbd_s,
        "writes_meanwhile": len(waits),
        "slowest_write_meanwhile_s": max(waits, default=None),
    }


def _post(url: str, token: str, body: bytes, timeout: float) -> bytes:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _write_every_second(
    base: str, token: str, entry: bytes, stop: threading.Event, waits: list[float]
) -> None:
    while not stop.wait(1):
        started = time.perf_counter()
        _post(base + "/v1/entries", token, entry, timeout=3600)
        waits.append(time.perf_counter() - started)
