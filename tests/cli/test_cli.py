"""The command line, run as a user runs it: a real process on a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ledger.service import Ledger
from ledger.storage.database import Database

ROOT = Path(__file__).resolve().parents[2]
COMMAND = Path(sys.executable).with_name("exchange-ledger")


def run(url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "exchange_ledger", *args],
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
    assert (
        "sources: 0 added, 2 present; exchanges: 0 added, 1 present; entries: 0 added, 9 present"
        in again.stdout
    )
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
    assert listed.rstrip().endswith("\tlive") and "revoked" not in listed
    revoked = run(url, "token", "revoke", "night desk")
    assert revoked.returncode == 0 and "revoked at" in revoked.stdout
    assert "revoked 20" in run(url, "token", "list").stdout
    again = run(url, "token", "revoke", "night desk")
    assert again.returncode == 2 and "error: No token" in again.stderr
    verified = run(url, "verify")
    assert verified.returncode == 0 and "chain head: journal 2 " in verified.stdout


def sql(url: str, *statements: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def printed_head(verified: subprocess.CompletedProcess[str]) -> tuple[int, str]:
    (line,) = [x for x in verified.stdout.splitlines() if x.startswith("chain head: journal ")]
    seq, sha256 = line.removeprefix("chain head: journal ").split()
    return int(seq), sha256


def test_verify_fails_when_hashes_are_removed(tmp_path):
    url = f"sqlite:///{tmp_path / 'unsealed.sqlite3'}"
    assert run(url, "seed").returncode == 0
    sql(url, "UPDATE entry_revision SET count = 51 WHERE entry_id = 'ent_seed_truce_hostages'")
    tampered = run(url, "verify")
    assert tampered.returncode == 1
    assert "FAIL journal 4 (entry.add ent_seed_truce_hostages revision 1)" in tampered.stderr
    sql(url, "UPDATE journal SET chain_sha256 = NULL, content_sha256 = NULL")
    for _ in range(2):  # a verify never seals what it checks, so the second finds it too
        unsealed = run(url, "verify")
        assert unsealed.returncode == 1, unsealed.stdout
        assert (
            "FAIL journal 1 (source.add src_1ad57b34380d078e): its hashes were removed"
            in unsealed.stderr
        )
        assert "verify: ok" not in unsealed.stdout
    assert run(url, "migrate").returncode == 0
    assert run(url, "verify").returncode == 1


def test_verify_head_checks_a_published_head_and_the_head_moves_with_writes(tmp_path):
    url = f"sqlite:///{tmp_path / 'head.sqlite3'}"
    assert run(url, "seed").returncode == 0
    first = run(url, "verify")
    seq, sha256 = printed_head(first)
    ledger = Ledger(Database(url))
    try:
        head = ledger.chain_head()
        assert (head.seq, head.chain_sha256) == (seq, sha256)
        assert ledger.checks().count == 0
        assert run(url, "token", "create", "--role", "editor").returncode == 0
        moved = ledger.chain_head()
    finally:
        ledger.database.dispose()
    after = run(url, "verify", "--head", f"{seq}:{sha256}")
    assert after.returncode == 0, after.stderr
    assert f"published head journal {seq}: still in the chain" in after.stdout
    assert printed_head(after) == (moved.seq, moved.chain_sha256) != (seq, sha256)
    assert moved.seq == seq + 1
    # Cut short: the chain that is left is whole, so only the published head shows it.
    sql(url, f"DELETE FROM journal WHERE seq > {seq - 1}")
    assert run(url, "verify").returncode == 0
    cut = run(url, "verify", "--head", f"{seq}:{sha256}")
    assert cut.returncode == 1
    assert f"FAIL published head journal {seq}: the journal has no row {seq}" in cut.stderr
    for wrong in (f"{seq}", f"x:{sha256}", f"{seq}:{sha256[:10]}"):
        refused = run(url, "verify", "--head", wrong)
        assert refused.returncode == 2
        assert "'--head': must be SEQ:SHA256" in refused.stderr


def test_verify_lists_conflicts_with_their_readings_and_strict_fails_on_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'findings.sqlite3'}"
    assert run(url, "seed").returncode == 0
    clean = run(url, "verify", "--strict")
    assert clean.returncode == 0 and "findings: 0" in clean.stdout and "WARN" not in clean.stderr
    ledger = Ledger(Database(url))
    try:
        entry = {
            "kind": "released",
            "population": "hostages",
            "period": {"start": "2023-11-24", "end": "2023-11-27"},
            "party": "Hamas",
            "nationality": "Israeli",
            "framework": "truce_deal",
            "exchange": "exc_nov2023_truce",
            "evidence": [{"source": "src_1ad57b34380d078e", "quote": "50 Israeli women"}],
        }
        ledger.add_entry({**entry, "count": 49}, "tester", "ent_test_conflict")
        ledger.add_entry(
            {**entry, "count": 60, "period": {"start": "2023-11-24", "end": "2023-11-24"}},
            "tester",
            "ent_test_finer",
        )
    finally:
        ledger.database.dispose()
    warned = run(url, "verify")
    assert warned.returncode == 0, warned.stderr
    assert "verify: ok" in warned.stdout and "findings: 1 (listed above as WARN)" in warned.stdout
    (conflict,) = [line for line in warned.stderr.splitlines() if line.startswith("WARN")]
    assert conflict.startswith("WARN conflict cfl_")
    assert (
        "2023-11-24..2023-11-27: reports that cannot all be true: ent_seed_truce_hostages "
        "(src_1ad57b34380d078e, src_53be30cdb8808ddb) says 50, the others imply 60; "
        "ent_test_conflict (src_1ad57b34380d078e) says 49, the others imply 60; "
        "ent_test_finer (src_1ad57b34380d078e) says 60, the others imply 0 to 49. The totals "
        "span every reading that sets aside 2 of them: ent_seed_truce_hostages, "
        "ent_test_conflict or ent_seed_truce_hostages, ent_test_finer or ent_test_conflict, "
        "ent_test_finer"
    ) in conflict
    assert "INFO" not in warned.stderr
    strict = run(url, "verify", "--strict")
    assert strict.returncode == 1
    assert "WARN conflict" in strict.stderr and "verify --strict: 1 finding(s)" in strict.stderr
    # --strict also lists every implied count, each naming its entries.
    assert (
        "INFO implied imp_e1b74b22f610fd1c (undated) 2023-10-07..2023-11-23: 4 of "
        "ent_seed_prior_released on a day from 2023-10-07 to 2023-11-23 that no report gives"
    ) in strict.stderr
    assert "--strict" in run(url, "verify", "--help").stdout


def test_two_seeds_at_once_store_one_copy(empty_url):
    env = {**os.environ, "LEDGER_DATABASE_URL": empty_url}
    loads = [
        subprocess.Popen(
            [sys.executable, "-m", "exchange_ledger", "seed"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    outputs = [load.communicate(timeout=120) for load in loads]
    assert [load.returncode for load in loads] == [0, 0], outputs
    reports = sorted(out for out, _ in outputs)
    assert (
        "sources: 0 added, 2 present; exchanges: 0 added, 1 present; entries: 0 added, 9"
        in (reports[0])
    )
    assert (
        "sources: 2 added, 0 present; exchanges: 1 added, 0 present; entries: 9 added"
        in (reports[1])
    )
    ledger = Ledger(Database(empty_url))
    try:
        counts = ledger.counts()
        assert (counts["source"], counts["entry_revision"], counts["term_revision"]) == (2, 9, 5)
        assert (counts["note"], counts["exchange_revision"], counts["journal"]) == (3, 1, 20)
        assert ledger.verify() == []
    finally:
        ledger.database.dispose()


def test_commands_started_together_on_a_new_sqlite_file_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'raced' / 'new.sqlite3'}"
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    commands = [["migrate"]] * 4 + [["token", "create", "--role", "editor"]] * 4
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "exchange_ledger", *args],
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
