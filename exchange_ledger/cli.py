"""The command line: `exchange-ledger` (or `python -m exchange_ledger`)."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ledger.errors import InvalidInput, LedgerError
from ledger.ingest import BATCH, ReportsRefused

# The ledger and its storage are imported when a command runs: a process spawned to cut a
# long report into sentences runs this module again, and needs none of them.
if TYPE_CHECKING:
    from ledger.service import Ledger

# Below this many entries an export is quick enough to need no progress bar.
PROGRESS_FROM = 10_000


@contextmanager
def _reported() -> Iterator[None]:
    """Turn ledger errors into a message naming the field, and exit status 2, not a trace."""
    try:
        yield
    except InvalidInput as error:
        for name, messages in error.errors.items():
            for message in messages:
                click.echo(f"error: {name}: {message}", err=True)
        sys.exit(2)
    except LedgerError as error:
        click.echo(f"error: {error.detail}", err=True)
        sys.exit(2)


def _ledger() -> Ledger:
    """Open the database named by LEDGER_DATABASE_URL and bring its schema up to date."""
    from ledger.service import Ledger
    from ledger.storage.database import Database, url_from_environment

    ledger = Ledger(Database(url_from_environment()))
    ledger.migrate()
    return ledger


def _command(function: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        with _reported():
            return function(*args, **kwargs)

    run.__name__ = function.__name__
    run.__doc__ = function.__doc__
    return run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="exchange-ledger")
def main() -> None:
    """A ledger of releases in a hostage-for-detainee exchange, every number traced to its
    sentence. The database is LEDGER_DATABASE_URL (default: ./instance/ledger.sqlite3); every
    command first creates or migrates it."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes.",
)
@click.option("--seed", is_flag=True, help="Load the seed ledger first (idempotent).")
@_command
def serve(host: str, port: int, workers: int, seed: bool) -> None:
    """Migrate, optionally seed, and serve the API with gunicorn."""
    from exchange_ledger.server import run_server

    ledger = _ledger()
    if seed:
        from ledger.seed import load_seed

        click.echo(f"seed ledger: {load_seed(ledger)}")
    ledger.database.dispose()
    run_server(host=host, port=port, workers=workers)


@main.command()
@_command
def seed() -> None:
    """Load the seed ledger from seed/ (a second load adds nothing)."""
    from ledger.seed import load_seed

    click.echo(f"seed ledger: {load_seed(_ledger())}")


@main.command()
@_command
def migrate() -> None:
    """Create or migrate the database to the newest schema, and nothing else."""
    ledger = _ledger()
    click.echo(f"schema current: {ledger.database!r}")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="MOMENT",
    help="The ledger as it stood then (ISO 8601 with a zone, e.g. 2023-11-28T12:00Z).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help=f"A progress bar per file on a terminal's stderr (default: from {PROGRESS_FROM:,} "
    "entries on).",
)
@_command
def export(folder: Path, as_of: str | None, progress: bool | None) -> None:
    """Write the data package (datapackage.json and five CSV files) to FOLDER."""
    ledger = _ledger()
    moment = _moment(as_of)
    if progress is None:
        progress = (ledger.count_published("entries", moment) or 0) >= PROGRESS_FROM

    def watch(name: str, rows: Iterator[Any]) -> Iterator[Any]:
        if not progress:
            yield from rows
            return
        # Every table's length is known before it is written (totals: keys times days), so
        # the bar shows rows done of rows to do.
        length = ledger.count_published(name, moment)
        with click.progressbar(
            rows, length=length, label=f"{name}.csv".ljust(14), file=sys.stderr, show_pos=True
        ) as bar:
            yield from bar

    written = ledger.export_package(folder, moment, watch)
    rows = ", ".join(f"{name} {count}" for name, count in written.items())
    click.echo(f"exported to {folder}: {rows} rows; datapackage.json describes them")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--published-on",
    metavar="YYYY-MM-DD",
    default=None,
    help="The date of reports whose first line declares none ('date YYYY-MM-DD').",
)
@click.option(
    "--keep-going",
    is_flag=True,
    help="Store the good reports even when some are refused (they are listed; exit 1).",
)
@click.option(
    "--batch",
    default=BATCH,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Reports stored per transaction.",
)
@click.option(
    "--processes",
    default=None,
    type=click.IntRange(1, 256),
    help="Processes splitting reports into sentences (default: the machine's cores).",
)
@_command
def ingest(
    paths: tuple[Path, ...],
    published_on: str | None,
    keep_going: bool,
    batch: int,
    processes: int | None,
) -> None:
    """Store news reports as sources: each .txt file named, and every .txt file in the
    folders named (and their subfolders), in path order.

    Each report is checked as POST /v1/sources checks a source, and by default nothing is
    written unless every one passes. The same text twice is one source, so running the same
    ingest again stores nothing new.
    """
    files = _report_files(paths)
    ledger = _ledger()
    try:
        done = ledger.add_sources(
            files,
            published_on=published_on,
            keep_going=keep_going,
            batch=batch,
            processes=processes,
        )
    except ReportsRefused as error:
        for name, messages in error.errors.items():
            for message in messages:
                click.echo(f"error: {name}: {message}", err=True)
        hint = "Fix them, or store the rest with --keep-going."
        click.echo(f"error: {error.detail} {hint}", err=True)
        sys.exit(2)
    for label, errors in done.refused.items():
        for name, messages in errors.items():
            for message in messages:
                click.echo(f"refused: {label}: {name}: {message}", err=True)
    click.echo(
        f"ingested {len(done.stored)} of {len(files)} reports: {done.added} new sources "
        f"({done.sentences} sentences), {done.present} stored already or repeated"
        + (f"; {len(done.refused)} refused" if done.refused else "")
    )
    if done.refused:
        sys.exit(1)


def _report_files(paths: tuple[Path, ...]) -> list[Path]:
    """The files named, and the .txt files under the folders named, each once, in order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not inside:
                raise LedgerError(f"{path}: holds no .txt reports.")
            found += inside
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _moment(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput.one("as-of", f"must be an ISO 8601 moment with a zone, not {value!r}.")
    return moment.astimezone(dt.UTC)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_command
def backup(file: Path) -> None:
    """Write a consistent copy of the whole store to FILE (SQLite: the online backup API;
    PostgreSQL: pg_dump's custom format)."""
    made = _ledger().backup(file)
    click.echo(f"backup ({made}) written to {file}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_command
def restore(file: Path) -> None:
    """Fill an empty store from FILE, made by 'exchange-ledger backup' on the same engine,
    then verify it."""
    ledger = _ledger()
    made = ledger.restore(file)
    findings = ledger.verify()
    for finding in findings:
        click.echo(f"FAIL {finding}", err=True)
    if findings:
        sys.exit(1)
    head = ledger.chain_head()
    click.echo(
        f"restored ({made}) from {file}; verify: ok; chain head: journal "
        f"{head.seq if head else 0} {head.chain_sha256 if head else '-'}"
    )


@main.group()
def token() -> None:
    """API tokens for writing (reads are public)."""


@token.command("create")
@click.option("--role", required=True, help="editor (sources, entries, terms) or admin.")
@click.option("--name", default=None, help="Who uses it; it signs every revision it makes.")
@_command
def token_create(role: str, name: str | None) -> None:
    """Make a token and print it as the last line; only its hash is stored."""
    made, secret = _ledger().create_token(role, name)
    click.echo(
        f"token {made.id} named {made.name!r} with role {made.role}; it is shown once, keep it now:"
    )
    click.echo(secret)


@token.command("revoke")
@click.argument("which")
@_command
def token_revoke(which: str) -> None:
    """Revoke the token with this id or name; requests with it get 401 from then on."""
    revoked = _ledger().revoke_token(which)
    click.echo(
        f"token {revoked.id} named {revoked.name!r} revoked at {revoked.revoked_at.isoformat()}"
    )


@token.command("list")
@_command
def token_list() -> None:
    """Every token: id, name, role, created, and live or when it was revoked (never a
    secret)."""
    for made in _ledger().tokens():
        state = f"revoked {made.revoked_at.isoformat()}" if made.revoked_at else "live"
        click.echo(f"{made.id}\t{made.name}\t{made.role}\t{made.created_at.isoformat()}\t{state}")


def _published_head(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, chain_sha256 = value.partition(":")
    chain_sha256 = chain_sha256.strip().lower()
    if not (seq.strip().isdigit() and re.fullmatch(r"[0-9a-f]{64}", chain_sha256)):
        raise click.BadParameter(
            f"must be SEQ:SHA256 as verify prints it ('chain head: journal SEQ SHA256'), "
            f"e.g. 19:{'0' * 64}; not {value!r}."
        )
    return int(seq), chain_sha256


@main.command()
@click.option(
    "--head",
    "published_head",
    metavar="SEQ:SHA256",
    callback=_published_head,
    help="A chain head published earlier (journal SEQ and its hash, as verify prints them): "
    "fail unless the chain still holds it, so a journal cut short or rewritten and resealed "
    "since is found.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 on findings too (conflicts, more reported out than captured), not only on "
    "integrity failures; and list every implied count.",
)
@_command
def verify(published_head: tuple[int, str] | None, strict: bool) -> None:
    """Check the whole store: quotes still slice out of their sources, histories are whole,
    the journal's hash chain is unbroken (and holds --head), and list the ledger's findings.

    Integrity failures (FAIL) exit 1. Findings (WARN: reports that cannot all be true, with
    the readings that set them aside; more reported out than captured; each with its entries
    and sources) are data to review: they exit 0, or 1 with --strict, which also lists every
    implied count (INFO: people the bounds place where no report states them).
    """
    ledger = _ledger()
    failures = ledger.verify(published_head)
    findings = ledger.check_findings()
    for failure in failures:
        click.echo(f"FAIL {failure}", err=True)
    for finding in findings:
        click.echo(f"WARN {finding}", err=True)
    if strict:
        for inferred in ledger.implied_findings():
            click.echo(f"INFO {inferred}", err=True)
    if failures:
        click.echo(
            f"verify: {len(failures)} problem(s) found, {len(findings)} finding(s)", err=True
        )
        sys.exit(1)
    counts = ledger.counts()
    click.echo(
        f"verify: ok ({counts['source']} sources, {counts['sentence']} sentences, "
        f"{counts['entry_revision']} entry revisions, {counts['term_revision']} term revisions, "
        f"{counts['evidence']} pieces of evidence; ledger revision {ledger.revision()})"
    )
    head = ledger.chain_head()
    if head is not None:
        click.echo(f"chain head: journal {head.seq} {head.chain_sha256}")
    if published_head is not None:
        click.echo(f"published head journal {published_head[0]}: still in the chain")
    click.echo(f"findings: {len(findings)}" + (" (listed above as WARN)" if findings else ""))
    if findings and strict:
        click.echo(f"verify --strict: {len(findings)} finding(s)", err=True)
        sys.exit(1)
