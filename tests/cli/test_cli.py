"""The command line, run as a user runs it: a real process on a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
COMMAND = Path(sys.executable).with_name("exchange-ledger")


def run(url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=120,
    )


def test_seed_then_verify_on_an_empty_database(empty_url):
    seeded = run(empty_url, "seed")
    assert seeded.returncode == 0, seeded.stderr
    assert "sources: 2 added" in seeded.stdout
    again = run(empty_url, "seed")
    assert "sources: 0 added, 2 present; entries: 0 added, 9 present" in again.stdout
    verified = run(empty_url, "verify")
    assert verified.returncode == 0, verified.stderr
    assert "verify: ok (2 sources" in verified.stdout


def test_verify_names_a_quote_altered_behind_the_ledgers_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'tampered.sqlite3'}"
    assert run(url, "seed").returncode == 0
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE source SET text = replace(text, '50 Israeli', "
                "'60 Israeli') WHERE id = 'src_1ad57b34380d078e'"
            )
        )
    engine.dispose()
    verified = run(url, "verify")
    assert verified.returncode == 1
    assert "source src_1ad57b34380d078e: its text no longer matches its SHA-256" in verified.stderr
    assert "entry ent_seed_truce_hostages revision 1 evidence[0]" in verified.stderr


def test_token_create_prints_the_token_last_and_keeps_only_its_hash(tmp_path):
    url = f"sqlite:///{tmp_path / 'tokens.sqlite3'}"
    made = run(url, "token", "create", "--role", "editor", "--name", "desk")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("elt_")
    assert secret.encode() not in (tmp_path / "tokens.sqlite3").read_bytes()
    for suffix in ("-wal", "-shm"):
        wal = tmp_path / f"tokens.sqlite3{suffix}"
        assert not wal.exists() or secret.encode() not in wal.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("token", "create", "--role", "owner"), "error: role: must be one of editor, admin"),
        (("token", "create", "--role", "editor", "--name", "x\ny"), "error: name: must be"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(tmp_path, args, message):
    url = f"sqlite:///{tmp_path / 'bad.sqlite3'}"
    refused = run(url, *args)
    assert refused.returncode == 2
    assert message in refused.stderr
    assert "Traceback" not in refused.stderr
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM api_token")).scalar() == 0
    engine.dispose()


def test_a_wrong_database_url_is_explained(tmp_path):
    refused = run("not a url", "verify")
    assert refused.returncode == 2
    assert "is not a database URL" in refused.stderr
    unreachable = run("postgresql+psycopg://nobody@127.0.0.1:1/none", "verify")
    assert unreachable.returncode == 2
    assert "could not be reached" in unreachable.stderr


def test_the_console_script_and_python_m_are_the_same_command(tmp_path):
    assert COMMAND.exists(), f"{COMMAND} is missing: run the tests with 'make test'"
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    script = subprocess.run([str(COMMAND), "--help"], capture_output=True, text=True, env=env)
    module = run(url, "--help")
    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout
    assert "serve" in script.stdout and "token" in script.stdout and "verify" in script.stdout


def test_tokens_are_listed_without_secrets_and_revoked_by_name(tmp_path):
    url = f"sqlite:///{tmp_path / 'revoke.sqlite3'}"
    secret = run(url, "token", "create", "--role", "admin", "--name", "night desk").stdout
    secret = secret.strip().splitlines()[-1]
    listed = run(url, "token", "list").stdout
    assert "night desk\tadmin" in listed and secret not in listed
    revoked = run(url, "token", "revoke", "night desk")
    assert revoked.returncode == 0 and "revoked at" in revoked.stdout
    assert "revoked 20" in run(url, "token", "list").stdout
    again = run(url, "token", "revoke", "night desk")
    assert again.returncode == 2 and "error: No token" in again.stderr
    verified = run(url, "verify")
    assert verified.returncode == 0 and "chain head: journal 2 " in verified.stdout


def test_commands_started_together_on_a_new_sqlite_file_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'raced' / 'new.sqlite3'}"
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    commands = [["migrate"]] * 4 + [["token", "create", "--role", "editor"]] * 4
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "ledger", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for args in commands
    ]
    outputs = [process.communicate(timeout=120) for process in started]
    assert [process.returncode for process in started] == [0] * len(commands), outputs
    verified = run(url, "verify")
    assert verified.returncode == 0 and "chain head: journal 4 " in verified.stdout
    assert len(run(url, "token", "list").stdout.splitlines()) == 4


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_a_plain_postgresql_url_runs_on_psycopg_3(new_postgres_database, scheme):
    with new_postgres_database() as url:
        plain = scheme + url[url.index("://") :]
        migrated = run(plain, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        assert "postgresql+psycopg://" in migrated.stdout


def test_an_unsupported_database_url_names_the_variable():
    refused = run("mysql://ledger@127.0.0.1/ledger", "verify")
    assert refused.returncode == 2
    assert "error: LEDGER_DATABASE_URL uses mysql://, which the ledger does not support" in (
        refused.stderr
    )
