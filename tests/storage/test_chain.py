"""Tamper evidence: the journal's hash chain finds any row changed behind the ledger's back."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import text

from ledger.errors import NotFound, Unauthorized
from ledger.records import Entry, Evidence, Period
from ledger.service import Ledger
from ledger.storage.journal import HashesRemoved, Journal, _as_dict, as_hashed
from ledger.storage.repository import Repository


def sql(ledger: Ledger, statement: str, **params) -> None:
    with ledger.database.engine.begin() as connection:
        connection.execute(text(statement), params)


def journal_seq(ledger: Ledger, action: str, subject: str) -> int:
    with ledger.database.engine.connect() as connection:
        return connection.execute(
            text("SELECT seq FROM journal WHERE action = :a AND subject = :s"),
            {"a": action, "s": subject},
        ).scalar()


def test_the_seeded_ledger_verifies_and_its_head_is_the_revision(seeded: Ledger):
    assert seeded.verify() == []
    head = seeded.chain_head()
    assert head.seq == seeded.revision() and len(head.chain_sha256) == 64
    before = seeded.chain_head(as_of=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert before is None


def test_an_altered_count_names_the_write_that_recorded_it(seeded: Ledger):
    sql(seeded, "UPDATE entry_revision SET count = 51 WHERE entry_id = 'ent_seed_truce_hostages'")
    finding, published = seeded.verify()
    seq = journal_seq(seeded, "entry.add", "ent_seed_truce_hostages")
    assert finding.where == f"journal {seq} (entry.add ent_seed_truce_hostages revision 1)"
    assert "changed" in finding.problem
    # entries.csv still says what was written, 50: its stored row no longer matches the store.
    assert published.where == "entry ent_seed_truce_hostages revision 1"
    assert "stored row of entries.csv differs" in published.problem


def test_an_altered_row_of_entries_csv_is_found(seeded: Ledger):
    sql(seeded, "UPDATE published_entry_row SET line = replace(line, ',50,', ',51,')")
    (finding,) = seeded.verify()
    assert finding.where == "entry ent_seed_truce_hostages revision 1"
    assert "the export would publish what the ledger does not say" in finding.problem


def test_an_altered_report_text_is_found_at_the_source_and_in_the_quotes(seeded: Ledger):
    sql(seeded, "UPDATE source SET text = replace(text, '150 security', '160 security')")
    findings = [str(f) for f in seeded.verify()]
    assert any("its text no longer matches its SHA-256" in f for f in findings)
    assert any(f.startswith("journal 1 (source.add src_1ad57b34380d078e)") for f in findings)


def test_a_removed_journal_row_breaks_the_chain_at_the_next(seeded: Ledger):
    seq = journal_seq(seeded, "entry.add", "ent_seed_captured")
    sql(seeded, "DELETE FROM journal WHERE seq = :seq", seq=seq)
    findings = [str(f) for f in seeded.verify()]
    assert any(f.startswith(f"journal {seq + 1} ") and "chain is broken" in f for f in findings)
    assert any("entry ent_seed_captured revision 1: no journal row wrote it" in f for f in findings)


def test_a_revision_slipped_in_by_sql_is_found(seeded: Ledger):
    sql(
        seeded,
        """INSERT INTO entry_revision (entry_id, revision, kind, population, count,
        qualifier, period_start, period_end, party, framework, description, retracted,
        recorded_at, author) SELECT entry_id, 2, kind, population, 500, qualifier, period_start,
        period_end, party, framework, description, retracted, recorded_at, 'nobody'
        FROM entry_revision WHERE entry_id = 'ent_seed_captured'""",
    )
    findings = [str(f) for f in seeded.verify()]
    assert (
        "entry ent_seed_captured revision 2: no journal row wrote it: it was added behind "
        "the ledger's back" in findings
    )


def test_a_rewritten_chain_hash_is_found(seeded: Ledger):
    sql(seeded, "UPDATE journal SET chain_sha256 = :h WHERE seq = 3", h="f" * 64)
    (finding,) = seeded.verify()
    assert finding.where.startswith("journal 3 ") and "chain is broken" in finding.problem


def test_rows_from_before_the_chain_are_sealed_by_the_migration_that_adds_it(
    ledger: Ledger, seed_text: dict[str, str]
):
    # A ledger of what the store before the counting model v2 could hold (no exchanges): a
    # downgrade keeps only that.
    seeded = ledger
    text = seed_text["001_e79ee798e13953f7.txt"]
    source, _ = seeded.add_source(text)
    desk, _ = seeded.create_token("editor", "desk")
    seeded.add_entry(
        {
            "kind": "released", "population": "hostages", "count": 4, "party": "Hamas",
            "framework": "other", "period": {"start": "2023-10-07", "end": "2023-11-23"},
            "evidence": [{"source": source.id, "quote": "just four hostages"}],
        },
        "desk",
        by=desk,
    )  # fmt: skip
    head = seeded.chain_head()
    # The store as it stood before the chain: revision 0002, whose journal has no hash columns.
    seeded.database.downgrade("0002")
    assert not seeded.database.schema_is_current()
    seeded.migrate()  # the schema, then the read model the downgrade dropped
    assert seeded.verify() == []
    resealed = seeded.chain_head()
    assert (resealed.seq, resealed.chain_sha256) == (head.seq, head.chain_sha256)


def test_removed_hashes_are_found_and_never_sealed_again(seeded: Ledger):
    sql(seeded, "UPDATE entry_revision SET count = 51 WHERE entry_id = 'ent_seed_truce_hostages'")
    sql(seeded, "UPDATE journal SET content_sha256 = NULL, chain_sha256 = NULL")
    findings = seeded.verify()
    (finding,) = [f for f in findings if f.where.startswith("journal")]
    assert finding.where == "journal 1 (source.add src_1ad57b34380d078e)"
    assert "hashes were removed" in finding.problem
    # Migrating a chained store (what every command does first) seals nothing.
    seeded.database.migrate()
    assert seeded.verify() == findings
    # Nor does a write extend the chain from a row that lost its hashes.
    with pytest.raises(HashesRemoved):
        seeded.create_token("editor", "desk")
    assert seeded.verify() == findings


def test_sealing_refuses_a_row_without_hashes_after_a_sealed_one(seeded: Ledger):
    sql(seeded, "UPDATE journal SET content_sha256 = NULL, chain_sha256 = NULL WHERE seq >= 3")
    with pytest.raises(HashesRemoved) as refused, seeded.database.writing() as session:
        Journal(Repository(session)).seal()
    assert str(refused.value).startswith("journal 3 (exchange.add exc_nov2023_truce")
    (finding,) = seeded.verify()
    assert finding.where.startswith("journal 3 ") and "hashes were removed" in finding.problem


def test_a_published_head_finds_a_chain_cut_short_or_rewritten(seeded: Ledger):
    published = seeded.chain_head()
    head = (published.seq, published.chain_sha256)
    assert seeded.verify(head) == []
    seeded.create_token("editor", "desk")
    assert seeded.chain_head().seq == published.seq + 1
    assert seeded.verify(head) == []
    # Rewritten: a count changed, its row of entries.csv dropped (it is then rendered as
    # read), and the whole chain sealed again from the store as it is.
    sql(seeded, "UPDATE entry_revision SET count = 51 WHERE entry_id = 'ent_seed_truce_hostages'")
    sql(
        seeded,
        "DELETE FROM published_entry_row WHERE entry_revision_id IN "
        "(SELECT id FROM entry_revision WHERE entry_id = 'ent_seed_truce_hostages')",
    )
    sql(seeded, "UPDATE journal SET content_sha256 = NULL, chain_sha256 = NULL")
    with seeded.database.writing() as session:
        Journal(Repository(session)).seal()
    seeded.build_read_model()  # the totals too: only a published head tells
    assert seeded.verify() == []
    (rewritten,) = seeded.verify(head)
    assert rewritten.where == f"published head journal {published.seq}"
    assert f"not the published {published.chain_sha256}" in rewritten.problem
    # Cut short: the newest rows removed leave a chain that is whole, but short.
    sql(seeded, "DELETE FROM journal WHERE seq >= :seq", seq=published.seq)
    seeded.build_read_model()
    assert seeded.verify() == []
    (short,) = seeded.verify(head)
    assert short.where == f"published head journal {published.seq}"
    assert f"no row {published.seq} (it ends at journal {published.seq - 1})" in short.problem


def test_the_chain_head_moves_with_every_write(seeded: Ledger):
    before = seeded.chain_head()
    assert before.seq == seeded.revision() == seeded.state().revision
    seeded.add_source("date 2023-11-29\nA report that moves the ledger on.")
    after = seeded.chain_head()
    assert after.seq == before.seq + 1 == seeded.revision()
    assert after.chain_sha256 != before.chain_sha256


def test_revoked_tokens_are_refused_and_the_revocation_is_chained(ledger: Ledger):
    token, secret = ledger.create_token("editor", "desk")
    assert ledger.authenticate(secret).id == token.id
    revoked = ledger.revoke_token("desk")
    assert revoked.revoked_at is not None
    with pytest.raises(Unauthorized):
        ledger.authenticate(secret)
    with pytest.raises(NotFound):
        ledger.revoke_token("desk")
    assert ledger.verify() == []
    sql(ledger, "UPDATE api_token SET revoked_at = NULL")
    assert "token.revoke" in str(ledger.verify()[0])


def test_a_bulk_import_is_one_sealed_write(seeded: Ledger):
    source = seeded.source("src_53be30cdb8808ddb")
    sentence = source.sentences[17]
    entries = [
        Entry(
            id=f"ent_bulk{i}",
            kind=("released",),
            population="hostages",
            count=i,
            period=Period(dt.date(2023, 11, 1), dt.date(2023, 11, 1)),
            party="P",
            evidence=(
                Evidence(
                    source.id,
                    sentence.n,
                    "four hostages",
                    sentence.start + sentence.text.index("four hostages"),
                    sentence.start + sentence.text.index("four hostages") + len("four hostages"),
                ),
            ),
        )
        for i in range(30)
    ]
    assert seeded.import_entries(entries, "generator", batch=7) == 30
    assert seeded.verify() == []
    sql(seeded, "UPDATE entry_revision SET count = 99 WHERE entry_id = 'ent_bulk5'")
    assert "entry.import" in str(seeded.verify()[0])


def test_revisions_in_the_shape_before_0006_hash_as_they_were_written():
    # What the chain hashed of an entry revision before migration 0006 (its fields then, one
    # kind and one nationality as strings): a store written then still verifies after it.
    from ledger import chain
    from ledger.storage.journal import hashed

    at = dt.datetime(2023, 11, 28, 9, tzinfo=dt.UTC)
    evidence = (Evidence("src_a", 3, "50 hostages", 10, 21, "the sentence", dt.date(2023, 11, 28)),)
    entry = Entry(
        id="ent_old", kind=("released",), population="hostages", count=50,
        period=Period(dt.date(2023, 11, 24), dt.date(2023, 11, 27)), party="Hamas",
        nationality=("Israeli",), framework="truce_deal", evidence=evidence, recorded_at=at,
        author="desk",
    )  # fmt: skip
    written_then = {
        "id": "ent_old", "kind": "released", "population": "hostages", "count": 50,
        "period": {"start": dt.date(2023, 11, 24), "end": dt.date(2023, 11, 27)},
        "party": "Hamas", "qualifier": "exact", "nationality": "Israeli",
        "framework": "truce_deal", "description": "", "period_phrase": None,
        "period_note": None,
        "evidence": [{"source": "src_a", "sentence": 3, "quote": "50 hostages", "start": 10,
                      "end": 21, "sentence_text": "the sentence",
                      "published_on": dt.date(2023, 11, 28)}],
        "revision": 1, "recorded_at": at, "author": "desk", "reason": None, "retracted": False,
    }  # fmt: skip
    assert chain.content_sha256(hashed(entry)) == chain.content_sha256(written_then)
    # A revision that uses what 0006 added hashes all of it.
    mixed = dataclasses.replace(entry, kind=("released", "remains_returned"), batch=("r1",))
    assert hashed(mixed)["kind"] == ("released", "remains_returned")
    assert hashed(mixed)["batch"] == ("r1",)


def test_records_are_hashed_as_dataclasses_asdict_gives_them(seeded: Ledger):
    # The journal builds a record's dict itself (asdict's deep copies were most of the time of
    # hashing a long source); every hash written before must still hold, so the dicts agree.
    _, sources = seeded.sources()
    records = [*sources, *seeded.entries(), *seeded.terms(), *seeded.exchanges(), *seeded.notes()]
    assert {type(record).__name__ for record in records} >= {"Source", "Entry", "Term"}
    records += [as_hashed(source) for source in sources]  # as a source's write hashes it
    for record in records:
        assert _as_dict(record) == dataclasses.asdict(record)
