"""Who may retract a record is its first author's token, by id: an editor who revised another's
record still may not retract it, a record an admin retracted is revised back only by an admin,
and no token may take the name of a token or of an author already in the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger.errors import Forbidden, InvalidInput
from ledger.service import Ledger
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


def test_owners_of_records_written_before_migration_0007_come_from_their_tokens(
    database: Database,
):
    """A store as 0006 left it: the owner of a record is the token whose name its author
    bears, if that token existed when it was recorded; else none (only an admin retracts)."""
    database.downgrade("0006")
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO api_token (id, name, role, secret_sha256, created_at) VALUES "
            "('tok_a', 'alice', 'editor', 'a', '2023-11-01 00:00:00.000000'), "
            "('tok_b', 'bob', 'editor', 'b', '2023-12-31 00:00:00.000000')"
        ))  # fmt: skip
        for record, author in (("ent_1", "alice"), ("ent_2", "bob"), ("ent_3", "seed")):
            connection.execute(text(
                f"INSERT INTO entry (id, recorded_at, author) VALUES ('{record}', "
                f"'2023-11-28 12:00:00.000000', '{author}')"
            ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO term (id, recorded_at, author) VALUES ('trm_1', "
            "'2023-11-28 12:00:00.000000', 'alice')"
        ))  # fmt: skip
    database.migrate()
    assert database.schema_is_current()
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT record_id, token_id FROM record_owner"))
        owners = {record: token for record, token in rows}
    assert owners == {"ent_1": "tok_a", "trm_1": "tok_a"}  # bob's token came later
