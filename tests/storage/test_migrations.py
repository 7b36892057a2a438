"""The schema is built by Alembic alone, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from ledger.errors import LedgerError
from ledger.storage import tables  # noqa: F401
from ledger.storage.database import Database


def test_migrations_build_exactly_the_declared_tables(database: Database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    names = set(inspect(database.engine).get_table_names())
    assert {
        "source",
        "sentence",
        "entry",
        "entry_revision",
        "term",
        "term_revision",
        "note",
        "evidence",
        "api_token",
        "journal",
        "alembic_version",
    } <= names


def test_migrating_twice_changes_nothing(database: Database):
    assert database.schema_is_current()
    database.migrate()
    assert database.schema_is_current()


def test_a_new_sqlite_file_is_not_current_until_migrated(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'deep' / 'folder' / 'new.sqlite3'}")
    database.migrate()
    assert database.schema_is_current()
    fresh = Database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert not fresh.schema_is_current()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url):
    database = Database(sqlite_url)
    database.migrate()
    with database.reading() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


@pytest.mark.parametrize(
    "url",
    [
        "postgres://ledger:secret@db.example:5432/ledger",
        "postgresql://ledger:secret@db.example:5432/ledger",
        "postgresql+psycopg://ledger:secret@db.example:5432/ledger",
    ],
)
def test_postgresql_urls_are_read_as_psycopg_3(url):
    database = Database(url)
    try:
        assert database.url.drivername == "postgresql+psycopg"
        assert (database.url.host, database.url.database) == ("db.example", "ledger")
        assert database.url.password == "secret"
    finally:
        database.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "mysql://ledger@db.example/ledger",
        "postgresql+psycopg2://ledger@db.example/ledger",
        "postgresql+asyncpg://ledger@db.example/ledger",
        "sqlite+aiosqlite:///x.sqlite3",
    ],
)
def test_unsupported_database_urls_are_refused_by_name(url):
    with pytest.raises(LedgerError) as refused:
        Database(url)
    assert refused.value.detail.startswith("LEDGER_DATABASE_URL uses ")
    assert "postgresql://user@host/db" in refused.value.detail


def test_entries_and_terms_stored_before_the_counting_model_v2_keep_their_values(
    database: Database,
):
    # A store as migration 0005 left it, with rows written the old way: one kind, a party and
    # a framework always (an omitted framework was stored as 'other'), one nationality or none.
    database.downgrade("0005")
    stamp = "2023-11-28 12:00:00.000000"
    revision = (
        "INSERT INTO {table} (id, {owner}, revision, kind, population, count, qualifier, "
        "period_start, period_end, party, {extra}framework, description, retracted, "
        "recorded_at, author) VALUES (1, 'old_1', 1, 'released', 'hostages', 13, 'exact', "
        "'2023-11-24', '2023-11-24', 'Hamas', {value}'other', 'old row', {false}, '{stamp}', "
        "'alice')"
    )
    false = "0" if database.is_sqlite else "false"
    with database.engine.begin() as connection:
        for table, parent, owner, extra, value in (
            ("entry_revision", "entry", "entry_id", "nationality, ", "'Thai', "),
            ("term_revision", "term", "term_id", "per, ", "'period', "),
        ):
            connection.execute(
                text(f"INSERT INTO {parent} (id, recorded_at, author) VALUES ('old_1', "
                     f"'{stamp}', 'alice')")
            )  # fmt: skip
            connection.execute(
                text(revision.format(table=table, owner=owner, extra=extra, value=value,
                                     false=false, stamp=stamp))
            )  # fmt: skip
    database.migrate()
    assert database.schema_is_current()
    with database.engine.connect() as connection:
        entry = connection.execute(
            text("SELECT kind, party, nationality, framework, exchange, batch, count_high "
                 "FROM entry_revision")
        ).one()  # fmt: skip
        term = connection.execute(
            text("SELECT kind, party, framework, exchange FROM term_revision")
        ).one()
    assert tuple(entry) == ("released", "Hamas", "Thai", "other", None, None, None)
    assert tuple(term) == ("released", "Hamas", "other", None)


def test_entries_and_their_tokens_survive_the_leaner_write_schema(database: Database):
    # A store as migration 0007 left it, with an entry, its revision and the token that wrote
    # it; 0008 drops indexes an entry's write did not need and, on SQLite, rebuilds entry and
    # revision_token WITHOUT ROWID. Then down to 0007 and up again: nothing is lost either way.
    database.downgrade("0007")
    stamp = "2023-11-28 12:00:00.000000"
    false = "0" if database.is_sqlite else "false"
    rows = (
        "INSERT INTO api_token (id, name, role, secret_sha256, created_at) VALUES "
        f"('tok_1', 'alice', 'editor', 'sha', '{stamp}')",
        f"INSERT INTO entry (id, recorded_at, author) VALUES ('ent_1', '{stamp}', 'alice')",
        "INSERT INTO entry_revision (id, entry_id, revision, kind, population, count, "
        "qualifier, period_start, period_end, framework, description, retracted, recorded_at, "
        f"author) VALUES (1, 'ent_1', 1, 'released', 'hostages', 13, 'exact', '2023-11-24', "
        f"'2023-11-24', 'other', 'old row', {false}, '{stamp}', 'alice')",
        "INSERT INTO revision_token (record_id, revision, token_id) VALUES ('ent_1', 1, 'tok_1')",
    )
    with database.engine.begin() as connection:
        for row in rows:
            connection.execute(text(row))
    for step in ("head", "0007", "head"):
        if step == "head":
            database.migrate()
        else:
            database.downgrade(step)
        with database.engine.connect() as connection:
            kept = connection.execute(
                text("SELECT e.id, r.count, t.token_id FROM entry e "
                     "JOIN entry_revision r ON r.entry_id = e.id "
                     "JOIN revision_token t ON t.record_id = e.id AND t.revision = r.revision")
            ).all()  # fmt: skip
        assert [tuple(row) for row in kept] == [("ent_1", 13, "tok_1")]
    assert database.schema_is_current()
    indexes = {i["name"]: i for i in inspect(database.engine).get_indexes("evidence")}
    where = "sqlite_where" if database.is_sqlite else "postgresql_where"
    for column in ("term_revision_id", "exchange_revision_id", "note_id"):
        options = indexes[f"ix_evidence_{column}"]["dialect_options"]
        assert f"{column} IS NOT NULL" in str(options[where])
    revision_indexes = {i["name"] for i in inspect(database.engine).get_indexes("entry_revision")}
    assert "ix_entry_revision_entry_id" not in revision_indexes
    if database.is_sqlite:
        with database.engine.connect() as connection:
            for table in ("entry", "revision_token"):
                sql = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
                ).scalar_one()
                assert sql.rstrip().endswith("WITHOUT ROWID"), sql
