"""The ledger on a real database: sources, entries, revisions, tokens; nothing lost."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from ledger.errors import InvalidInput, NotFound, StaleRevision, TooLarge, Unauthorized
from ledger.publication import entry_line
from ledger.service import Ledger

REPORT = (
    "date 2023-11-29\nHamas released 12 hostages on Wednesday, officials said.\r\n"
    "Israel released 30 prisoners. «Quotes» and ünïcode stay as sent.\n"
)


def _entry(source_id: str, **changes) -> dict:
    data = {
        "kind": "released",
        "population": "hostages",
        "count": 12,
        "period": {"start": "2023-11-29", "end": "2023-11-29"},
        "party": "Hamas",
        "framework": "truce_deal",
        "description": "hostages",
        "evidence": [{"source": source_id, "quote": "Hamas released 12 hostages on Wednesday"}],
    }
    data.update(changes)
    return data


def test_a_source_is_stored_byte_for_byte_and_once(ledger: Ledger):
    source, created = ledger.add_source(REPORT, title="A report")
    again, created_again = ledger.add_source(REPORT, title="Another title")
    assert (created, created_again) == (True, False)
    assert again.id == source.id and again.title == "A report"
    stored = ledger.source(source.id)
    assert stored.text.encode("utf-8") == REPORT.encode("utf-8")
    assert stored.published_on == dt.date(2023, 11, 29)
    assert [s.text for s in stored.sentences][:2] == [
        "date 2023-11-29",
        "Hamas released 12 hostages on Wednesday, officials said.",
    ]
    for sentence in stored.sentences:
        assert stored.text[sentence.start : sentence.end] == sentence.text
    assert ledger.counts()["source"] == 1


def test_an_entry_is_revised_and_retracted_by_appending(ledger: Ledger):
    source, _ = ledger.add_source(REPORT)
    first = ledger.add_entry(_entry(source.id), "alice")
    assert (first.revision, first.author, first.evidence[0].sentence) == (1, "alice", 1)
    second = ledger.revise_entry(
        first.id,
        _entry(source.id, count=13, qualifier="at_least"),
        "bob",
        "a later count",
        expected_revision=1,
    )
    assert (second.revision, second.count, second.reason) == (2, 13, "a later count")
    with pytest.raises(StaleRevision):
        ledger.revise_entry(first.id, _entry(source.id), "carol", "stale", expected_revision=1)
    third = ledger.retract_entry(first.id, "bob", "duplicate of another entry")
    assert third.retracted and third.revision == 3
    history = ledger.entry_history(first.id)
    assert [(e.revision, e.count, e.retracted) for e in history] == [
        (1, 12, False),
        (2, 13, False),
        (3, 13, True),
    ]
    assert ledger.entries() == []
    assert ledger.entry(first.id).retracted
    with pytest.raises(InvalidInput):
        ledger.retract_entry(first.id, "bob", "again")


def test_an_entry_is_stored_whole_with_every_quote_in_order(ledger: Ledger, database):
    """PostgreSQL writes an entry revision in one statement, the other engines in four: either
    way the revision, each quote in its place and its row of entries.csv are stored."""
    source, _ = ledger.add_source(REPORT)
    quotes = [
        {"source": source.id, "quote": "30 prisoners"},
        {"source": source.id, "quote": "Hamas released 12 hostages"},
        {"source": source.id, "quote": "officials said"},
    ]
    first = ledger.add_entry(_entry(source.id, evidence=quotes[:2]), "alice")
    second = ledger.revise_entry(first.id, _entry(source.id, evidence=quotes[::-1]), "bob", "more")
    history = ledger.entry_history(first.id)
    assert history == [first, second]
    assert [[(e.sentence, e.quote) for e in r.evidence] for r in history] == [
        [(2, "30 prisoners"), (1, "Hamas released 12 hostages")],
        [(1, "officials said"), (1, "Hamas released 12 hostages"), (2, "30 prisoners")],
    ]
    with database.reading() as session:
        lines = session.execute(
            text("SELECT line FROM published_entry_row ORDER BY entry_revision_id")
        ).scalars()
        assert list(lines) == [entry_line(revision) for revision in history]
    assert ledger.verify() == []


def test_as_of_sees_the_ledger_as_it_stood(ledger: Ledger):
    source, _ = ledger.add_source(REPORT)
    first = ledger.add_entry(_entry(source.id), "alice")
    between = first.recorded_at
    ledger.revise_entry(first.id, _entry(source.id, count=14), "bob", "correction")
    assert [e.count for e in ledger.entries(as_of=between)] == [12]
    assert [e.count for e in ledger.entries()] == [14]
    assert ledger.entries(as_of=between - dt.timedelta(seconds=1)) == []
    assert ledger.entry(first.id, as_of=between).count == 12


def test_recorded_at_only_moves_forward(ledger: Ledger):
    source, _ = ledger.add_source(REPORT)
    moments = [ledger.add_entry(_entry(source.id), "alice").recorded_at for _ in range(5)]
    assert moments == sorted(moments) and len(set(moments)) == 5
    assert all(moment.tzinfo is not None for moment in moments)


def test_bad_input_writes_nothing(ledger: Ledger):
    source, _ = ledger.add_source(REPORT)
    entry = ledger.add_entry(_entry(source.id), "alice")
    before = ledger.counts()
    bad = [
        lambda: ledger.add_entry(_entry(source.id, count=-1), "alice"),
        lambda: ledger.add_entry(
            _entry(
                source.id,
                evidence=[
                    {"source": source.id, "quote": "Hamas released 12 hostages on Wednesday"},
                    {"source": source.id, "quote": "not in the report"},
                ],
            ),
            "alice",
        ),
        lambda: ledger.revise_entry(entry.id, _entry(source.id, kind="vanished"), "a", "why"),
        lambda: ledger.revise_entry(entry.id, _entry(source.id), "alice", ""),
        lambda: ledger.add_source("no date line here"),
        lambda: ledger.add_source("x" * (11 * 1024 * 1024), published_on="2023-11-28"),
        lambda: ledger.add_term({"population": "hostages", "party": "Hamas"}, "alice"),
        lambda: ledger.add_note({"topic": "x", "count": -3, "evidence": []}, "alice"),
        lambda: ledger.create_token("owner"),
    ]
    for attempt in bad:
        with pytest.raises((InvalidInput, TooLarge)):
            attempt()
    with pytest.raises(NotFound):
        ledger.revise_entry("ent_missing", _entry(source.id), "alice", "why")
    assert ledger.counts() == before


def test_evidence_must_point_at_a_real_sentence_in_the_database(ledger: Ledger, database):
    source, _ = ledger.add_source(REPORT)
    ledger.add_entry(_entry(source.id), "alice")
    with pytest.raises(Exception, match=r"(?i)foreign key"), database.writing() as session:
        session.execute(
            text(
                "INSERT INTO evidence (entry_revision_id, position, source_id, sentence_n, quote, "
                '"start", "end") VALUES (1, 5, :s, 99, \'x\', 0, 1)'
            ),
            {"s": source.id},
        )
    with pytest.raises(Exception, match=r"(?i)check"), database.writing() as session:
        session.execute(text("UPDATE entry_revision SET count = -5 WHERE id = 1"))


def test_tokens_are_stored_as_hashes_only(ledger: Ledger, database):
    token, secret = ledger.create_token("editor", "Newsroom desk")
    assert secret.startswith("elt_") and len(secret) > 40
    with database.reading() as session:
        stored = [tuple(row) for row in session.execute(text("SELECT * FROM api_token"))]
    assert secret not in repr(stored)
    assert ledger.authenticate(secret) == token
    for wrong in (None, "", secret + "x", "elt_guess"):
        with pytest.raises(Unauthorized):
            ledger.authenticate(wrong)
    with pytest.raises(InvalidInput, match="is taken"):
        ledger.create_token("admin", "Newsroom desk")


def exchange(source_id: str, **changes) -> dict:
    return {
        "name": "A truce", "parties": ["Israel", "Hamas"], "first_day": "2023-11-24",
        "description": "from its first day",
        "evidence": [{"source": source_id, "quote": "Hamas released 12 hostages"}], **changes,
    }  # fmt: skip


def test_an_exchange_is_revised_and_named_by_entries_and_terms(ledger: Ledger):
    source, _ = ledger.add_source(REPORT)
    truce = ledger.add_exchange(exchange(source.id), "alice", "exc_truce")
    assert ledger.exchanges()[0].parties == ("Israel", "Hamas")
    ended = ledger.revise_exchange(
        truce.id, exchange(source.id, last_day="2023-11-30"), "bob", "it ended", 1
    )
    assert (ended.revision, ended.last_day) == (2, dt.date(2023, 11, 30))
    assert [x.revision for x in ledger.exchange_history(truce.id)] == [1, 2]
    assert ledger.exchange(truce.id, as_of=truce.recorded_at).last_day is None
    named = ledger.add_entry(_entry(source.id, exchange=truce.id), "alice")
    assert named.exchange == truce.id
    # An exchange that an entry in force names stays: the entry would lose its days.
    with pytest.raises(InvalidInput, match="named by 1 record"):
        ledger.retract_exchange(truce.id, "alice", "no such truce")
    ledger.retract_entry(named.id, "alice", "wrong exchange")
    assert ledger.retract_exchange(truce.id, "alice", "no such truce").retracted
    assert ledger.exchanges() == []
    with pytest.raises(InvalidInput, match="names no exchange"):
        ledger.add_entry(_entry(source.id, exchange=truce.id), "alice")
    assert ledger.verify() == []


def test_terms_and_notes_keep_their_evidence(ledger: Ledger):
    source, _ = ledger.add_source(REPORT)
    truce = ledger.add_exchange(exchange(source.id), "alice")
    term = ledger.add_term(
        {
            "exchange": truce.id,
            "population": "hostages",
            "party": "Hamas",
            "count": 10,
            "per": "day",
            "qualifier": "at_least",
            "period": {"start": "2023-11-28", "end": "2023-11-29"},
            "evidence": [{"source": source.id, "quote": "12 hostages"}],
        },
        "alice",
    )
    assert ledger.terms()[0].evidence[0].quote == "12 hostages"
    revised = ledger.retract_term(term.id, "alice", "withdrawn by the mediator")
    assert revised.retracted and ledger.terms() == []
    ledger.add_note(
        {
            "topic": "prisoners",
            "count": 30,
            "evidence": [{"source": source.id, "quote": "30 prisoners"}],
        },
        "alice",
    )
    (note,) = ledger.notes()
    assert (note.count, note.evidence[0].sentence) == (30, 2)
    # An id the caller chooses is held to the same rule as an entry's or a term's.
    good = {
        "topic": "prisoners",
        "count": 30,
        "evidence": [{"source": source.id, "quote": "30 prisoners"}],
    }
    for bad_id in ("ent_wrong_prefix", "ctx_Upper", "ctx_"):
        with pytest.raises(InvalidInput, match="must look like ctx_"):
            ledger.add_note(good, "alice", note_id=bad_id)
    assert len(ledger.notes()) == 1


def test_concurrent_writers_neither_lock_out_nor_lose_each_other(database):
    """Several connections writing at once: BEGIN IMMEDIATE (SQLite) and row locks (PostgreSQL)."""
    from concurrent.futures import ThreadPoolExecutor

    from ledger.storage.database import Database

    ledger = Ledger(database)
    source, _ = ledger.add_source(REPORT)
    writers = [
        Ledger(Database(database.url.render_as_string(hide_password=False))) for _ in range(4)
    ]
    first = ledger.add_entry(_entry(source.id), "alice")

    def write(i: int) -> int:
        mine = writers[i % 4]
        mine.add_entry(_entry(source.id, count=i), f"writer-{i % 4}")
        mine.revise_entry(first.id, _entry(source.id, count=100 + i), f"writer-{i % 4}", "race")
        return i

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(write, range(40))) == list(range(40))
    assert len(ledger.entries()) == 41
    assert [e.revision for e in ledger.entry_history(first.id)] == list(range(1, 42))
    assert ledger.revision() == 1 + 1 + 40 * 2
    for writer in writers:
        writer.database.dispose()
