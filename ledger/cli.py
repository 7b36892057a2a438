"""The command line: `exchange-ledger` (or `python -m ledger`)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ledger.errors import InvalidInput, LedgerError
from ledger.service import Ledger
from ledger.storage.database import Database, url_from_environment

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
    database = Database(url_from_environment())
    database.migrate()
    ledger = Ledger(database)
    ledger.seal()
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
    from ledger.server import run_server

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
@_command
def export(folder: Path, as_of: str | None) -> None:
    """Write the data package (datapackage.json and five CSV files) to FOLDER."""
    ledger = _ledger()
    moment = _moment(as_of)
    large = (ledger.count_published("entries", moment) or 0) >= PROGRESS_FROM

    def watch(name: str, rows: Iterator[Any]) -> Iterator[Any]:
        if not large:
            yield from rows
            return
        length = ledger.count_published(name, moment)
        with click.progressbar(
            rows, length=length, label=f"{name}.csv".ljust(14), file=sys.stderr, show_pos=True
        ) as bar:
            yield from bar

    written = ledger.export_package(folder, moment, watch)
    rows = ", ".join(f"{name} {count}" for name, count in written.items())
    click.echo(f"exported to {folder}: {rows} rows; datapackage.json describes them")


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
    """Every token: id, name, role, created, revoked (never a secret)."""
    for made in _ledger().tokens():
        revoked = made.revoked_at.isoformat() if made.revoked_at else "-"
        click.echo(
            f"{made.id}\t{made.name}\t{made.role}\t{made.created_at.isoformat()}\trevoked {revoked}"
        )


@main.command()
@_command
def verify() -> None:
    """Check the whole store: quotes still slice out of their sources, histories are whole."""
    ledger = _ledger()
    findings = ledger.verify()
    for finding in findings:
        click.echo(f"FAIL {finding}", err=True)
    if findings:
        click.echo(f"verify: {len(findings)} problem(s) found", err=True)
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
