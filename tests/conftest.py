"""Fixtures: real databases (a SQLite file, a PostgreSQL server) and the seed ledger."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ledger.seed import load_seed
from ledger.service import Ledger
from ledger.storage.database import Database
from ledger.storage.repository import TABLES

ROOT = Path(__file__).resolve().parent.parent
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"
POSTGRES_URL = os.environ.get(
    "LEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def postgres_unreachable(reason: str) -> None:
    """Skip, saying why; under CI a PostgreSQL test that cannot run is a failure."""
    message = f"PostgreSQL at {POSTGRES_URL} is not reachable: {reason}"
    if IN_CI:
        pytest.fail(message + " (CI=true: .ci/run should have started it)")
    pytest.skip(message)


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"ledger_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        postgres_unreachable(str(error.orig).strip())
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def new_postgres_database() -> Callable[[], AbstractContextManager[str]]:
    """Make a new, empty PostgreSQL database for a wider scope than one test."""
    return _postgres_database


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """One PostgreSQL database for the session's storage tests (emptied between tests)."""
    with _postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database nothing has touched: a new SQLite file, or a new PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with _postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_postgres(postgres_server_url: str) -> Iterator[Database]:
    database = Database(postgres_server_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Database]:
    """A migrated, empty database: a new SQLite file, or the session's PostgreSQL emptied."""
    if request.param == "sqlite":
        database = Database(sqlite_url)
        database.migrate()
        yield database
        database.dispose()
        return
    database = request.getfixturevalue("migrated_postgres")
    names = ", ".join(table.__tablename__ for table in TABLES)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield database


@pytest.fixture
def ledger(database: Database) -> Ledger:
    return Ledger(database)


@pytest.fixture
def seeded(ledger: Ledger) -> Ledger:
    load_seed(ledger)
    return ledger


@pytest.fixture
def seed_text() -> dict[str, str]:
    """The seed reports' texts, by file name, read byte-for-byte."""
    folder = ROOT / "seed"
    return {path.name: path.read_bytes().decode("utf-8") for path in sorted(folder.glob("*.txt"))}
