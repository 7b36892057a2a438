"""Backups: SQLite's online backup API, and for PostgreSQL its own pg_dump and pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL

from ledger.errors import InvalidInput, LedgerError
from ledger.storage.database import Database

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


def backup(database: Database, target: Path) -> str:
    """Write a consistent copy of the whole store to `target`; returns the format written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if database.is_sqlite:
        # The online backup API copies a consistent snapshot while writers carry on.
        with _sqlite(database.url) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return "sqlite"
    _run(database.url, "pg_dump", "--format=custom", "--no-owner", "--file", str(target))
    return "pg_dump"


def restore(database: Database, backup_file: Path) -> str:
    """Replace an empty store's contents with a backup made by `backup` on the same engine."""
    if not backup_file.is_file():
        raise InvalidInput.one("FILE", f"{backup_file} is not a file.")
    magic = backup_file.read_bytes()[:16]
    if database.is_sqlite:
        if not magic.startswith(SQLITE_MAGIC):
            raise InvalidInput.one(
                "FILE",
                "is not a SQLite backup; a store on SQLite restores "
                "only from 'exchange-ledger backup' of a SQLite store.",
            )
        with sqlite3.connect(backup_file) as source, _sqlite(database.url) as store:
            source.backup(store)
        return "sqlite"
    if not magic.startswith(PG_DUMP_MAGIC):
        raise InvalidInput.one(
            "FILE",
            "is not a pg_dump archive; a store on PostgreSQL "
            "restores only from 'exchange-ledger backup' of one.",
        )
    _run(
        database.url,
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        str(backup_file),
    )
    return "pg_dump"


def _sqlite(url: URL) -> sqlite3.Connection:
    connection = sqlite3.connect(url.database, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def pg_command(url: URL, tool: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """The argv and environment to run a PostgreSQL client tool on a database.

    The password goes in PGPASSWORD, never in argv, where any user of the machine can read it
    (ps, /proc/PID/cmdline).
    """
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    address = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return [tool, "--dbname", address.render_as_string(hide_password=False), *args], environment


def _run(url: URL, tool: str, *args: str) -> None:
    if shutil.which(tool) is None:
        raise LedgerError(
            f"{tool} is not installed; install PostgreSQL's client tools "
            f"(Debian: apt-get install postgresql-client)."
        )
    argv, environment = pg_command(url, tool, *args)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=3600, env=environment)
    if done.returncode != 0:
        raise LedgerError(f"{tool} failed: {done.stderr.strip() or done.returncode}")
