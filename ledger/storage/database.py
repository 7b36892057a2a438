"""The engine, its sessions and its migrations: the one place that opens a connection."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Protocol

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlmodel import Session

from ledger.errors import LedgerError

try:
    import fcntl
except ImportError:  # not on Windows: SQLite's own busy waiting serves alone there
    fcntl = None  # type: ignore[assignment]
from ledger.storage.journal import Journal
from ledger.storage.repository import WRITER_LOCK, Repository

MIGRATIONS = Path(__file__).with_name("migrations")
# The session of the unit of work under way in this thread or task, if any.
_unit_of_work: ContextVar[Session | None] = ContextVar("unit_of_work", default=None)
SQLITE_BUSY_MS = 30_000
# Serialises migrations of one PostgreSQL database when several commands start at once.
MIGRATION_LOCK = 7_346_001
IDLE_BEFORE_PING_S = 5.0
NEWEST_SEQ = "SELECT seq FROM journal ORDER BY seq DESC LIMIT 1"
# The migration that added the journal's hash chain (see _adds_the_chain).
CHAIN_REVISION = "0003"


class DatabaseUnavailable(LedgerError):
    status = 503
    title = "Database unavailable"


def default_url(instance: Path | None = None) -> str:
    """The embedded default: a SQLite file under ./instance/."""
    folder = instance or Path.cwd() / "instance"
    return f"sqlite:///{folder / 'ledger.sqlite3'}"


def url_from_environment() -> str:
    """LEDGER_DATABASE_URL, or the embedded SQLite default."""
    return os.environ.get("LEDGER_DATABASE_URL") or default_url()


class KeptBeside(Protocol):
    """Rows derived from the ledger that every write keeps current in its own transaction
    (the totals' read model, ledger.cases.read_model): readied before the writer lock is
    taken, looked at once it is held, written just before the commit, and told of the
    commit."""

    def preparing(self) -> None: ...

    def opened(self, session: Session) -> Any: ...

    def closing(self, session: Session, opened: Any) -> Any: ...

    def committed(self, closed: Any) -> None: ...


class Database:
    """An engine set up for the ledger: WAL and BEGIN IMMEDIATE on SQLite, pooled on PostgreSQL."""

    def __init__(self, url: str) -> None:
        parsed = _checked_url(url)
        self.url = parsed
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._writers = _WriterQueue.beside(parsed) if self.is_sqlite else nullcontext()
        self.kept_beside: KeptBeside | None = None
        if self.is_sqlite:
            self.engine = _sqlite_engine(parsed)
        else:
            self.engine = _postgres_engine(parsed)

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)})"

    @contextmanager
    def reading(self, snapshot: bool = True) -> Iterator[Session]:
        """A session for reads: one consistent snapshot, never writes.

        Inside a unit of work it is that unit's session, so a read sees what the unit wrote.
        A read of one statement needs no snapshot of its own: `snapshot=False` runs it in
        autocommit on PostgreSQL, sparing the round trips of BEGIN and ROLLBACK.
        """
        active = _unit_of_work.get()
        if active is not None:
            yield active
            return
        with Session(self.engine) as session, _translated_errors():
            if not snapshot and not self.is_sqlite:
                # One statement in autocommit: no BEGIN and ROLLBACK round trips around it.
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            elif not self.is_sqlite:
                # One snapshot for every statement (SQLite's WAL readers already have one).
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session
            session.rollback()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session for one unit of work: all of it commits, or none of it.

        Units nest: a write inside another joins it and commits with it, so a caller can make
        several writes (and their idempotency record) one transaction.

        Every write takes this path, and one writer at a time holds it, from its BEGIN to its
        commit, so the journal's hash chain has one order: SQLite takes its write lock at
        BEGIN (IMMEDIATE, see _sqlite_engine), PostgreSQL a transaction-level advisory lock
        right after it. The rows kept beside the ledger (`kept_beside`: the totals' read
        model) are written in the same transaction, just before the commit.
        """
        active = _unit_of_work.get()
        if active is not None:
            yield active
            return
        beside = self.kept_beside
        if beside:
            beside.preparing()  # before a connection is checked out for the write
        # The connection is checked out before the writer queue and given back after it: on
        # SQLite the queue is the writer lock, held from BEGIN IMMEDIATE to COMMIT only.
        with (
            _translated_errors(),
            self.engine.connect() as connection,
            Session(bind=connection) as session,
        ):
            connection.execution_options(ledger_write=True)
            with self._writers:
                session.connection()  # BEGIN (IMMEDIATE on SQLite)
                if not self.is_sqlite:
                    connection.execute(select(func.pg_advisory_xact_lock(WRITER_LOCK)))
                token = _unit_of_work.set(session)
                try:
                    opened = beside.opened(session) if beside else None
                    yield session
                    closed = beside.closing(session, opened) if beside else None
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
                finally:
                    _unit_of_work.reset(token)
        if beside and closed is not None:
            beside.committed(closed)

    @property
    def in_unit(self) -> bool:
        """Whether this runs inside a unit of work (whose writes may yet roll back)."""
        return _unit_of_work.get() is not None

    def newest_seq(self) -> int:
        """The newest journal row's seq (0 before any write): the ledger's revision.

        One statement on a pooled connection, outside any transaction or session: the
        cheapest read there is, made by every conditional GET. Inside a unit of work it is
        that unit's view.
        """
        active = _unit_of_work.get()
        if active is not None:
            row = active.connection().execute(text(NEWEST_SEQ)).first()
            return row[0] if row else 0
        with _translated_errors(self.engine.dialect.loaded_dbapi.Error):
            connection = self.engine.raw_connection()
            try:
                driver = connection.driver_connection
                if not self.is_sqlite:
                    driver.autocommit = True  # no BEGIN and ROLLBACK round trips
                cursor = connection.cursor()
                try:
                    cursor.execute(NEWEST_SEQ)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
                    if not self.is_sqlite:
                        driver.autocommit = False
            finally:
                connection.close()
        return row[0] if row else 0

    def migrate(self) -> bool:
        """Bring the schema to the newest migration (Alembic `upgrade head`), one command at a
        time; the upgrade that adds the hash chain also seals the rows written before it.
        Whether any migration ran."""
        if self.is_sqlite:
            _ensure_folder(self.url)
        with _translated_errors(), self.engine.connect() as connection, _rebuildable(connection):
            # Holding the write lock from BEGIN (IMMEDIATE on SQLite) lets commands started
            # together on a new store wait their turn instead of failing as "locked".
            connection = connection.execution_options(ledger_write=True)
            with connection.begin():
                if not self.is_sqlite:
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                    )
                config = _alembic_config()
                before = MigrationContext.configure(connection).get_current_revision()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if _adds_the_chain(config, before):
                    _seal_rows_before_the_chain(connection)
                _check_references(connection)
                after = MigrationContext.configure(connection).get_current_revision()
        return after != before

    def downgrade(self, revision: str) -> None:
        """Take the schema back to an earlier migration (for development and the tests of
        migrations: what later migrations added is lost)."""
        with _translated_errors(), self.engine.connect() as connection, _rebuildable(connection):
            connection = connection.execution_options(ledger_write=True)
            with connection.begin():
                config = _alembic_config()
                config.attributes["connection"] = connection
                command.downgrade(config, revision)
                _check_references(connection)

    def schema_is_current(self) -> bool:
        """Whether the database's schema is at the newest migration."""
        head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
        with _translated_errors(), self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        return current == head

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _rebuildable(connection: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off while migrations rebuild tables (Alembic's batch mode
    copies a table, drops it and renames the copy, which a foreign key to it would refuse);
    _check_references checks them all before the migration commits. A no-op elsewhere."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, where SQLite takes it
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_references(connection: Connection) -> None:
    """Every foreign key of a SQLite store still points at a row (refuse to commit if not)."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, row, parent, _ = broken[0]
        raise LedgerError(
            f"The migration left {len(broken)} broken reference(s), e.g. {table} row {row} "
            f"to {parent}; nothing was changed."
        )


def _checked_url(url: str) -> URL:
    """The URL of a supported engine: SQLite, or PostgreSQL through psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise LedgerError(
            f"LEDGER_DATABASE_URL {url!r} is not a database URL; use e.g. "
            "sqlite:///instance/ledger.sqlite3 or postgresql+psycopg://user@host/db."
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return parsed
    if backend in ("postgres", "postgresql") and driver in ("", "psycopg"):
        # psycopg 3 is the one PostgreSQL driver the ledger installs; postgres:// is the
        # spelling many hosts hand out.
        return parsed.set(drivername="postgresql+psycopg")
    raise LedgerError(
        f"LEDGER_DATABASE_URL uses {parsed.drivername}://, which the ledger does not support; "
        "use sqlite:///path/to/ledger.sqlite3, or postgresql://user@host/db for PostgreSQL "
        "(through psycopg 3)."
    )


def _adds_the_chain(config: Config, before: str | None) -> bool:
    """Whether an upgrade from `before` ran the migration that added the hash chain."""
    if before is None:
        return False  # a new store: its journal is empty and every write seals itself
    script = ScriptDirectory.from_config(config)
    earlier = {r.revision for r in script.iterate_revisions(before, "base")}
    return CHAIN_REVISION not in earlier


def _seal_rows_before_the_chain(connection: Connection) -> None:
    # In the migration's own transaction, so no command ever sees the chain half sealed.
    with Session(bind=connection) as session:
        Journal(Repository(session)).seal()
        session.flush()


class _WriterQueue:
    """SQLite writers of this machine take turns in a queue before BEGIN IMMEDIATE.

    SQLite makes a writer that finds the database locked sleep and retry, in steps that grow
    to 100 ms; under several writers most of the time goes to sleeping. Threads here queue on
    a lock, processes (gunicorn's workers, commands) on an flock of a file beside the
    database, and each is woken the moment the writer before it is done. BEGIN IMMEDIATE
    still guards the database against writers that do not queue.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._file: int | None = None
        self._pid = 0

    @classmethod
    def beside(cls, url: URL) -> _WriterQueue | AbstractContextManager[None]:
        database = url.database
        if fcntl is None or not database or database == ":memory:":
            return nullcontext()
        return cls(Path(f"{database}-writers"))

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            if self._pid != os.getpid():  # a forked worker opens its own
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._file, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *_: object) -> None:
        try:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._threads.release()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _ensure_folder(url: URL) -> None:
    database = getattr(url, "database", None)
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _postgres_engine(url: URL) -> Engine:
    engine = create_engine(url, pool_size=5, max_overflow=5)

    # A pooled connection that sat idle may have been dropped (a restart, a proxy's timeout):
    # it is pinged before use, and replaced if dead. One in steady use is not, which spares
    # every request a round trip (SQLAlchemy's pool_pre_ping pings on every checkout).
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: object, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: object) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # in autocommit: no transaction left open
        except Exception as error:  # any failure: the pool retries with a new connection
            raise DisconnectionError() from error

    return engine


def _into_wal(cursor: Any) -> None:
    """WAL mode, once per database file (it persists). Switching needs the file to itself, and
    SQLite answers "locked" at once rather than wait: several commands starting on a new file
    take turns here."""
    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    while cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL").fetchall()
            return  # WAL, or the mode an in-memory database keeps
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: object, _record: object) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _into_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: object) -> None:
        # A writer takes the write lock at BEGIN, so two workers never deadlock on upgrade.
        immediate = connection.get_execution_options().get("ledger_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def _translated_errors(*driver_errors: type[Exception]) -> Iterator[None]:
    try:
        yield
    except OperationalError as error:
        raise DatabaseUnavailable(
            f"The database could not be reached or used: {error.orig}"
        ) from error
    except driver_errors as error:  # the driver's own, where SQLAlchemy did not wrap them
        raise DatabaseUnavailable(f"The database could not be reached or used: {error}") from error
