"""Who may retract a record is its first author's token, by id: an editor who revised another's
record still may not retract it, a record an admin retracted is revised back only by an admin,
and no token may take the name of a token or of an author already in the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger import tokens
from ledger.errors import Forbidden, InvalidInput
from ledger.seed import AUTHOR
from ledger.service import SYSTEM, Ledger
from ledger.storage.database import Database

REPORT = "date 2023-11-29\nHamas released 12 hostages on Wednesday, officials said.\n"


def _entry(source_id: str) -> dict:
    return {
        "kind": "released", "population": "hostages", "count": 12,
        "period": {"start": "2023-11-29", "end": "2023-11-29"}, "party": "Hamas",
        "description": "hostages",
        "evidence": [{"source": source_id, "quote": "Hamas released 12 hostages on Wednesday"}],
    }  # fmt: skip


@pytest.fixture
def people(ledger: Ledger):
    source, _ = ledger.add_source(REPORT)
    alice, _ = ledger.create_token("editor", "alice")
    bob, _ = ledger.create_token("editor", "bob")
    admin, _ = ledger.create_token("admin", "root")
    entry = ledger.add_entry(_entry(source.id), alice.name, by=alice)
    return ledger, source, alice, bob, admin, entry


def test_a_revision_by_another_editor_does_not_make_the_record_theirs(people):
    ledger, source, alice, bob, _, entry = people
    # Bob revises Alice's entry without changing it: the latest author is now Bob.
    ledger.revise_entry(entry.id, _entry(source.id), bob.name, "no change", 1, by=bob)
    with pytest.raises(Forbidden, match="retract_others"):
        ledger.retract_entry(entry.id, bob.name, "mine now?", 2, by=bob)
    # Alice still may: she recorded it, whoever revised it since.
    assert ledger.retract_entry(entry.id, alice.name, "a duplicate", 2, by=alice).retracted


def test_only_an_admin_revises_back_what_an_admin_retracted(people):
    ledger, source, alice, bob, admin, entry = people
    ledger.retract_entry(entry.id, admin.name, "not in the report", 1, by=admin)
    for editor in (alice, bob):
        with pytest.raises(Forbidden, match="only an admin may revise it back"):
            ledger.revise_entry(entry.id, _entry(source.id), editor.name, "undo", 2, by=editor)
    assert ledger.entry(entry.id).retracted
    revived = ledger.revise_entry(entry.id, _entry(source.id), admin.name, "it is", 2, by=admin)
    assert not revived.retracted


def test_an_editor_revises_back_what_an_editor_retracted(people):
    ledger, source, alice, bob, _, entry = people
    ledger.retract_entry(entry.id, alice.name, "withdrawn", 1, by=alice)
    revived = ledger.revise_entry(entry.id, _entry(source.id), bob.name, "it stands", 2, by=bob)
    assert not revived.retracted


def test_records_written_without_a_token_are_retracted_only_by_an_admin(people):
    ledger, source, alice, _, admin, _ = people
    command_line = ledger.add_entry(_entry(source.id), "seed")
    with pytest.raises(Forbidden):
        ledger.retract_entry(command_line.id, alice.name, "mine?", 1, by=alice)
    assert ledger.retract_entry(command_line.id, admin.name, "wrong", 1, by=admin).retracted


def test_terms_and_exchanges_have_owners_too(people):
    ledger, source, alice, bob, _, _ = people
    exchange = ledger.add_exchange(
        {"name": "Truce", "parties": ["Israel", "Hamas"], "first_day": "2023-11-24",
         "evidence": [{"source": source.id, "quote": "Hamas released 12 hostages"}]},
        alice.name, by=alice,
    )  # fmt: skip
    with pytest.raises(Forbidden):
        ledger.retract_exchange(exchange.id, bob.name, "not mine", 1, by=bob)
    assert ledger.retract_exchange(exchange.id, alice.name, "mine", 1, by=alice).retracted


@pytest.mark.parametrize("name", ["seed", "Seed", "ALICE", "exchange-ledger"])
def test_a_token_cannot_take_the_name_of_a_token_or_an_author(seeded: Ledger, name):
    seeded.create_token("editor", "alice")
    with pytest.raises(InvalidInput, match="is taken"):
        seeded.create_token("admin", name)


def test_tokens_of_revisions_written_before_migration_0007_come_from_their_names(
    database: Database,
):
    """A store as 0006 left it: a revision's token is the one whose name its author bears, if
    that token existed when it was written; else none (it counts as the command line's)."""
    database.downgrade("0006")
    stamp = "2023-11-28 12:00:00.000000"
    false = "0" if database.is_sqlite else "false"
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO api_token (id, name, role, secret_sha256, created_at) VALUES "
            "('tok_a', 'alice', 'editor', 'a', '2023-11-01 00:00:00.000000'), "
            "('tok_b', 'bob', 'editor', 'b', '2023-12-31 00:00:00.000000')"
        ))  # fmt: skip
        for record, revision, author in (("ent_1", 1, "alice"), ("ent_1", 2, "bob"),
                                         ("ent_2", 1, "seed")):  # fmt: skip
            if revision == 1:
                connection.execute(text(
                    f"INSERT INTO entry (id, recorded_at, author) VALUES ('{record}', "
                    f"'{stamp}', '{author}')"
                ))  # fmt: skip
            connection.execute(text(
                "INSERT INTO entry_revision (entry_id, revision, kind, population, count, "
                "qualifier, period_start, period_end, description, retracted, recorded_at, "
                f"author) VALUES ('{record}', {revision}, 'released', 'hostages', 1, 'exact', "
                f"'2023-11-24', '2023-11-24', 'old row', {false}, '{stamp}', '{author}')"
            ))  # fmt: skip
    database.migrate()
    assert database.schema_is_current()
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT record_id, revision, token_id FROM revision_token"))
        tokens = {(record, revision): token for record, revision, token in rows}
    assert tokens == {("ent_1", 1): "tok_a"}  # bob's token came later; the seed has none


@pytest.mark.parametrize("name", ["exchange-ledger", "Seed"])
def test_the_names_of_writers_without_a_token_are_reserved_from_the_start(ledger: Ledger, name):
    with pytest.raises(InvalidInput, match="is taken"):
        ledger.create_token("admin", name)


def test_the_reserved_names_are_those_the_service_and_the_seed_write_under():
    assert {SYSTEM, AUTHOR} == set(tokens.RESERVED)


def test_what_the_command_line_retracted_only_an_admin_revises_back(people):
    ledger, source, alice, _, admin, entry = people
    ledger.retract_entry(entry.id, "exchange-ledger", "withdrawn by the desk", 1)
    with pytest.raises(Forbidden, match="the command line"):
        ledger.revise_entry(entry.id, _entry(source.id), alice.name, "undo", 2, by=alice)
    assert not ledger.revise_entry(
        entry.id, _entry(source.id), admin.name, "ok", 2, by=admin
    ).retracted
