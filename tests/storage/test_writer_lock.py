"""One writer at a time appends to the journal, and `as_of` sees writes in journal order: a
write that waits for the writer lock is stamped once it holds it, after the write before it."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import text

from ledger.publication import entry_line
from ledger.service import Ledger
from ledger.storage.database import Database
from ledger.storage.journal import Journal
from ledger.storage.repository import Repository
from tests.storage.test_ledger_store import REPORT, _entry

WAIT = 30


# On both engines a unit is the only writer from its BEGIN (Database.writing): a new entry is
# stamped, and its hash worked out, under the lock.
def test_an_entry_that_waits_for_the_lock_is_stamped_after_the_write_that_held_it(
    database: Database,
) -> None:
    ledger = Ledger(database)
    source, _ = ledger.add_source(REPORT)
    holding, release = threading.Event(), threading.Event()
    first: list = []

    def other_writer() -> None:
        # The only writer from its BEGIN: waits until the entry below has queued for the
        # lock, then journals a write of its own.
        with database.writing():
            holding.set()
            assert release.wait(WAIT)
            first.append(ledger.add_note(_note(source.id), "other"))

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert holding.wait(WAIT)
    threading.Timer(1.0, release.set).start()  # lets the entry queue for the lock first
    entry = ledger.add_entry(_entry(source.id), "editor")
    thread.join(WAIT)
    (note,) = first

    assert entry.recorded_at > note.recorded_at
    stored = ledger.entry(entry.id)
    assert stored.recorded_at == entry.recorded_at
    assert ledger.entries(as_of=note.recorded_at) == []
    assert [e.id for e in ledger.entries(as_of=entry.recorded_at)] == [entry.id]
    with database.reading() as session:
        head = Journal(Repository(session)).head()
        published = session.execute(
            text(
                "SELECT p.recorded_at, p.line FROM published_entry_row p "
                "JOIN entry_revision r ON r.id = p.entry_revision_id WHERE r.entry_id = :id"
            ),
            {"id": entry.id},
        ).one()
    assert (head.subject, head.recorded_at) == (entry.id, entry.recorded_at)
    # Its row of entries.csv was rendered for the moment it was stamped, and its journal row
    # hashes the entry as stored.
    moment, line = published
    if isinstance(moment, str):  # SQLite's driver hands a raw query's DATETIME back as text
        moment = dt.datetime.fromisoformat(moment)
    assert (moment.replace(tzinfo=dt.UTC), line) == (entry.recorded_at, entry_line(stored))
    assert head.content_sha256 == Journal.content_of(stored)
    assert ledger.verify() == []


def _note(source_id: str) -> dict:
    return {
        "topic": "killed_october_7",
        "count": 12,
        "unit": "people",
        "qualifier": "approx",
        "description": "context",
        "evidence": [{"source": source_id, "quote": "Hamas released 12 hostages on Wednesday"}],
    }
