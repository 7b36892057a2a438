"""Backup and restore: a restored store has the same totals and the same chain head."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import nullcontext

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger.service import Ledger
from ledger.storage.backup import pg_command
from ledger.storage.database import Database

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exchange_ledger", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LEDGER_DATABASE_URL": url},
    )


def figures(url: str) -> tuple:
    ledger = Ledger(Database(url))
    try:
        head = ledger.chain_head()
        return (
            ledger.totals().to_dict(),
            ledger.still_held()[0].total,
            head.seq,
            head.chain_sha256,
            ledger.counts(),
        )
    finally:
        ledger.database.dispose()


def databases(engine, tmp_path, request, names):
    if engine == "sqlite":
        return [nullcontext(f"sqlite:///{tmp_path / f'{name}.sqlite3'}") for name in names]
    return [request.getfixturevalue("new_postgres_database")() for _ in names]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_backup_restores_into_an_empty_store_with_identical_figures(engine, tmp_path, request):
    original, empty, busy = databases(engine, tmp_path, request, ["original", "empty", "busy"])
    with original as first, empty as second, busy as third:
        assert run(first, "seed").returncode == 0
        assert run(first, "token", "create", "--role", "editor").returncode == 0
        file = tmp_path / "ledger.backup"
        made = run(first, "backup", str(file))
        assert made.returncode == 0, made.stderr
        restored = run(second, "restore", str(file))
        assert restored.returncode == 0, restored.stderr
        assert "verify: ok" in restored.stdout
        assert figures(second) == figures(first)
        assert run(second, "verify").returncode == 0
        # A store that holds anything is never overwritten.
        assert run(third, "seed").returncode == 0
        refused = run(third, "restore", str(file))
        assert refused.returncode == 2 and "restore needs an empty store" in refused.stderr


def test_a_backup_of_another_engine_is_refused(tmp_path):
    file = tmp_path / "not-a-backup"
    file.write_bytes(b"PGDMP....")
    refused = run(f"sqlite:///{tmp_path / 'x.sqlite3'}", "restore", str(file))
    assert refused.returncode == 2 and "error: FILE: is not a SQLite backup" in refused.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_a_backup_whose_hashes_were_removed_is_restored_unsealed(engine, tmp_path, request):
    """Restore never seals: a backup is sealed already, so missing hashes are a finding."""
    original, empty = databases(engine, tmp_path, request, ["original", "empty"])
    with original as first, empty as second:
        assert run(first, "seed").returncode == 0
        engine_ = create_engine(first)
        with engine_.begin() as connection:
            connection.execute(
                text("UPDATE journal SET content_sha256 = NULL, chain_sha256 = NULL")
            )
        engine_.dispose()
        file = tmp_path / "unsealed.backup"
        assert run(first, "backup", str(file)).returncode == 0
        restored = run(second, "restore", str(file))
        assert restored.returncode == 1
        assert "FAIL journal 1 (source.add src_1ad57b34380d078e): its hashes were removed" in (
            restored.stderr
        )
        assert run(second, "verify").returncode == 1


def test_a_postgresql_password_goes_in_the_environment_never_in_argv():
    url = make_url("postgresql+psycopg://ledger:s3cret@db.example:5433/ledger")
    argv, environment = pg_command(url, "pg_dump", "--format=custom")
    assert argv == [
        "pg_dump",
        "--dbname",
        "postgresql://ledger@db.example:5433/ledger",
        "--format=custom",
    ]
    assert not any("s3cret" in arg for arg in argv)
    assert environment["PGPASSWORD"] == "s3cret"
    _argv, without = pg_command(make_url("postgresql+psycopg://ledger@db/x"), "pg_dump")
    assert without.get("PGPASSWORD") == os.environ.get("PGPASSWORD")


@pytest.mark.postgres
def test_a_backup_works_with_a_password_in_the_url(tmp_path, new_postgres_database):
    # The test server trusts loopback, so the password is accepted unused; pg_dump and
    # pg_restore now get it through PGPASSWORD.
    with new_postgres_database() as plain, new_postgres_database() as other:
        first = make_url(plain).set(password="s3cret").render_as_string(hide_password=False)
        second = make_url(other).set(password="s3cret").render_as_string(hide_password=False)
        assert run(first, "seed").returncode == 0
        file = tmp_path / "with-password.backup"
        made = run(first, "backup", str(file))
        assert made.returncode == 0, made.stderr
        restored = run(second, "restore", str(file))
        assert restored.returncode == 0, restored.stderr
        assert figures(second) == figures(first)
