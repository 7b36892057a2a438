"""Large synthetic ledgers for the benchmarks: generated reports, and N entries citing them.

Sources go through the product's own path (`Ledger.add_source`: hashing, pysbd sentences), so
every generated quote slices out of a real sentence. The entries are those of `bench.shaped`
(exchanges of daily handovers reported as aggregates, breakdowns, running totals, with
batches, remains and a few wrong reports), written straight into the tables by bulk paths that
bypass the ORM: `executemany` on SQLite, `COPY` on PostgreSQL. They are first revisions,
exactly as `Ledger.import_entries` would write them, only faster (their stored rows of
entries.csv are then filled by the product's own `Exports.fill_published_rows`); the database still
enforces every key and check. The exchanges they name are recorded through the product's path
(`Ledger.add_exchange`), each with its days.
"""

from __future__ import annotations

import collections
import datetime as dt
import io
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from bench import shaped
from ledger.publication import entry_line
from ledger.records import Sentence
from ledger.service import Ledger
from ledger.storage.database import Database
from ledger.storage.exports import Exports
from ledger.storage.journal import Journal
from ledger.storage.repository import Repository, joined

FIRST = dt.date(2015, 1, 1)
YEARS = 10
DAYS = 365 * YEARS
AUTHOR = "bench-generator"
PLACES = ("Rafah", "Gaza City", "Khan Younis", "the West Bank", "Ofer prison", "Kerem Shalom")
VERBS = ("released", "freed", "handed over", "set free")
OPENERS = (
    "Officials said {n} {pop} were {verb} at {place} on {day}.",
    "According to the Red Cross, {n} {pop} were {verb} near {place}.",
    "Mr. Haddad told reporters that at least {n} {pop} had been {verb} by {day}.",
    "The U.S. State Dept. confirmed {n} more {pop} were {verb}, about {pct} percent of the list.",
    "Dr. Levi, who met them at {place}, said all {n} were in stable condition.",
    "A further {n} {pop} (aged 18 to {age}) were expected to be {verb} on {day}.",
    '"We counted {n} buses," said one witness at {place}, adding that crowds had gathered.',
)


def report(rng: random.Random, sentences: int, day: dt.date) -> str:
    """One generated news report: a date line, a heading, then paragraphs of sentences."""
    lines = [f"date {day.isoformat()}", f"Exchange update from {rng.choice(PLACES)}", ""]
    paragraph: list[str] = []
    for i in range(sentences):
        template = OPENERS[rng.randrange(len(OPENERS))]
        paragraph.append(
            template.format(
                n=rng.randrange(1, 200),
                pop=rng.choice(("hostages", "detainees", "prisoners")),
                verb=rng.choice(VERBS),
                place=rng.choice(PLACES),
                day=(day - dt.timedelta(days=rng.randrange(5))).strftime("%A, %B %-d"),
                pct=rng.randrange(1, 99),
                age=rng.randrange(19, 80),
            )
        )
        if len(paragraph) == 4 or i == sentences - 1:
            lines += [" ".join(paragraph), ""]
            paragraph = []
    return "\n".join(lines) + "\n"


def paragraph(size: int, seed: int = 11) -> str:
    """A generated report of one paragraph of about `size` bytes after its date line."""
    rng = random.Random(seed)
    text = report(rng, max(1, size // 90), FIRST)
    head, _, body = text.partition("\n\n")
    return head.splitlines()[0] + "\n" + " ".join(body.split("\n\n")).replace("\n", " ")


def reports(count: int, sentences: int = 8, seed: int = 7) -> list[str]:
    """`count` distinct generated reports (each names its own number, so no two are equal)."""
    rng = random.Random(seed)
    found = []
    for i in range(count):
        day = FIRST + dt.timedelta(days=rng.randrange(DAYS))
        text = report(rng, sentences, day)
        found.append(text.replace("Exchange update", f"Exchange update {i}", 1))
    return found


@dataclass(frozen=True)
class Cited:
    """A sentence that entries may quote."""

    source: str
    sentence: Sentence


def add_sources(ledger: Ledger, count: int, sentences: int) -> list[Cited]:
    """Store generated reports through the product's path and list their sentences."""
    cited = []
    for text in reports(count, sentences, seed=11):
        source, _ = ledger.add_source(text, author=AUTHOR)
        cited += [Cited(source.id, s) for s in source.sentences if s.kind == "sentence"]
    return cited


def entry_rows(
    n: int, cited: list[Cited], reported: list[shaped.Exchange] | None = None
) -> Iterator[tuple]:
    """(entry, kinds, population, count, qualifier, start, end, party, nationalities,
    framework, exchange, batches, description, evidence rows) per generated entry, the lists
    as the store keeps them (sorted, joined by ';')."""
    for row in shaped.entry_rows(n, cited, reported=reported):
        (entry_id, kinds, population, count, qualifier, start, end, party, nationalities,
         framework, exchange, batches, description, evidence) = row  # fmt: skip
        yield (
            entry_id, joined(kinds), population, count, qualifier, start, end, party,
            joined(nationalities), framework, exchange, joined(batches), description, evidence,
        )  # fmt: skip


def add_exchanges(ledger: Ledger, exchanges: list[shaped.Exchange], cited: list[Cited]) -> None:
    """Record the exchanges the entries name, through the product's path."""
    for n, exchange in enumerate(exchanges):
        c = cited[n % len(cited)]
        quote = c.sentence.text[:30].rstrip()
        ledger.add_exchange(
            {
                "name": f"Generated exchange {n}",
                "parties": ["Hamas", "Israel"],
                "first_day": exchange.first.isoformat(),
                "last_day": exchange.last.isoformat(),
                "description": "Generated for the benchmarks.",
                "evidence": [{"source": c.source, "sentence": c.sentence.n, "quote": quote}],
            },
            author=AUTHOR,
            exchange_id=exchange.id,
        )


def build(url: str, n: int, sources: int = 40, sentences: int = 60) -> dict[str, float]:
    """Migrate a new database at `url` and fill it; returns how long each step took."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    database = Database(url)
    database.migrate()
    ledger = Ledger(database)
    cited = add_sources(ledger, sources, sentences)
    timings["sources_s"] = time.perf_counter() - started
    started = time.perf_counter()
    reported: list[shaped.Exchange] = []
    collections.deque(entry_rows(n, cited, reported), maxlen=0)
    add_exchanges(ledger, reported, cited)
    timings["exchanges_s"] = time.perf_counter() - started
    started = time.perf_counter()
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1)
    if database.is_sqlite:
        database.dispose()
        _load_sqlite(make_url(url).database, n, cited, at)
    else:
        database.dispose()
        _load_postgres(url, n, cited, at)
    timings["entries_s"] = time.perf_counter() - started
    # What the product's own import writes beside the rows: the journal row that seals them
    # into the hash chain (as Ledger.import_entries does), and each revision's row of
    # entries.csv.
    started = time.perf_counter()
    database = Database(url)
    with database.writing() as session:
        Journal(Repository(session)).record(
            at.replace(tzinfo=dt.UTC), AUTHOR, "entry.import", f"{n} entries"
        )
    timings["journal_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with database.writing() as session:
        Exports(session).fill_published_rows(entry_line)
    database.dispose()
    timings["published_rows_s"] = time.perf_counter() - started
    return timings


def _load_sqlite(path: str, n: int, cited: list[Cited], at: dt.datetime) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA foreign_keys=ON")
    stamp = at.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy writes a DateTime
    base_rev = connection.execute("SELECT coalesce(max(id), 0) FROM entry_revision").fetchone()[0]
    base_ev = connection.execute("SELECT coalesce(max(id), 0) FROM evidence").fetchone()[0]
    connection.execute("BEGIN IMMEDIATE")
    entries, revisions, evidence = [], [], []
    rev_id, ev_id = base_rev, base_ev

    def flush() -> None:
        connection.executemany(
            "INSERT INTO entry (id, recorded_at, author) VALUES (?, ?, ?)", entries
        )
        connection.executemany(
            "INSERT INTO entry_revision (id, entry_id, revision, kind, population, count, "
            "qualifier, period_start, period_end, party, nationality, framework, exchange, "
            "batch, description, period_phrase, period_note, retracted, recorded_at, author, "
            "reason) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, ?, ?, "
            "NULL)",
            revisions,
        )
        connection.executemany(
            "INSERT INTO evidence (id, entry_revision_id, term_revision_id, note_id, position, "
            'source_id, sentence_n, quote, "start", "end") '
            "VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)",
            evidence,
        )
        entries.clear(), revisions.clear(), evidence.clear()

    for row in entry_rows(n, cited):
        (entry_id, kind, population, count, qualifier, start, end, party, nat, fw, exchange,
         batch, desc, evs) = row  # fmt: skip
        rev_id += 1
        entries.append((entry_id, stamp, AUTHOR))
        revisions.append(
            (rev_id, entry_id, kind, population, count, qualifier, start.isoformat(),
             end.isoformat(), party, nat, fw, exchange, batch, desc, stamp, AUTHOR)
        )  # fmt: skip
        for position, (source, sentence_n, quote, offset) in enumerate(evs):
            ev_id += 1
            evidence.append(
                (ev_id, rev_id, position, source, sentence_n, quote, offset, offset + len(quote))
            )
        if len(entries) == 20_000:
            flush()
    flush()
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()


def _load_postgres(url: str, n: int, cited: list[Cited], at: dt.datetime) -> None:
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM entry_revision")
        rev_id = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM evidence")
        ev_id = cursor.fetchone()[0]
        entries, revisions, evidence = io.StringIO(), io.StringIO(), io.StringIO()
        stamp = at.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy writes a DateTime
        null = "\\N"
        for row in entry_rows(n, cited):
            (entry_id, kind, population, count, qualifier, start, end, party, nat, fw, exchange,
             batch, desc, evs) = row  # fmt: skip
            rev_id += 1
            entries.write(f"{entry_id}\t{stamp}\t{AUTHOR}\n")
            revisions.write(
                f"{rev_id}\t{entry_id}\t1\t{kind}\t{population}\t{count}\t{qualifier}\t"
                f"{start}\t{end}\t{party or null}\t{nat or null}\t{fw or null}\t"
                f"{exchange or null}\t{batch or null}\t{desc}\t"
                f"\\N\t\\N\tf\t{stamp}\t{AUTHOR}\t\\N\n"
            )
            for position, (source, sentence_n, quote, offset) in enumerate(evs):
                ev_id += 1
                escaped = quote.replace("\\", "\\\\").replace("\t", "\\t")
                evidence.write(
                    f"{ev_id}\t{rev_id}\t\\N\t\\N\t{position}\t{source}\t{sentence_n}\t"
                    f"{escaped}\t{offset}\t{offset + len(quote)}\n"
                )
        for table, columns, data in (
            ("entry", "id, recorded_at, author", entries),
            (
                "entry_revision",
                "id, entry_id, revision, kind, population, count, qualifier, period_start, "
                "period_end, party, nationality, framework, exchange, batch, description, "
                "period_phrase, period_note, retracted, recorded_at, author, reason",
                revisions,
            ),
            (
                "evidence",
                "id, entry_revision_id, term_revision_id, note_id, position, source_id, "
                'sentence_n, quote, "start", "end"',
                evidence,
            ),
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(data.getvalue())
        for table in ("entry_revision", "evidence"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        connection.commit()
        cursor.execute("ANALYZE")
