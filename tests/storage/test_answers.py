"""Kept answers: served only at the revision, history and service version they were computed
at; keeping one drops those of every other revision."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from ledger.service import SERVICE_VERSION, Ledger
from ledger.storage.answers import Answers

ADDRESS = "/v1/totals?population=hostages"


def test_an_answer_is_kept_for_its_revision_only(seeded: Ledger):
    revision = seeded.revision()
    assert seeded.kept_answer(ADDRESS, revision) is None
    assert seeded.keep_answer(ADDRESS, revision, b'{"total": 73}')
    assert seeded.kept_answer(ADDRESS, revision) == b'{"total": 73}'
    assert seeded.kept_answer("/v1/totals", revision) is None
    # A write moves the ledger on: the kept answer is about a revision that has passed.
    seeded.add_source("date 2023-11-29\nA report that moves the ledger on.")
    assert seeded.kept_answer(ADDRESS, seeded.revision()) is None
    # An answer computed before a write that landed meanwhile is not kept.
    assert not seeded.keep_answer("/v1/checks", revision, b"{}")
    assert seeded.keep_answer("/v1/checks", seeded.revision(), b"{}")
    assert [(k.address, k.revision) for k in seeded.kept_answers()] == [
        ("/v1/checks", seeded.revision())
    ]


def test_another_history_at_the_same_revision_never_matches(seeded: Ledger):
    revision = seeded.revision()
    assert seeded.keep_answer(ADDRESS, revision, b"kept")
    with seeded.database.writing() as session:
        session.execute(
            text("UPDATE journal SET chain_sha256 = :other WHERE seq = :seq"),
            {"other": "f" * 64, "seq": revision},
        )
    assert seeded.kept_answer(ADDRESS, revision) is None


def test_another_version_of_the_service_computes_its_own(seeded: Ledger):
    revision = seeded.revision()
    assert seeded.keep_answer(ADDRESS, revision, b"kept")
    with seeded.database.reading() as session:
        answers = Answers(session)
        assert answers.get(ADDRESS, revision, SERVICE_VERSION) == b"kept"
        assert answers.get(ADDRESS, revision, "0.0.0-other") is None


def test_forgetting_drops_every_kept_answer(seeded: Ledger):
    assert seeded.keep_answer(ADDRESS, seeded.revision(), b"kept")
    assert seeded.forget_answers() == 1
    assert seeded.kept_answers() == []


def test_keeping_an_answer_never_waits_for_a_write_of_the_ledger(seeded: Ledger):
    # A kept answer is derived data, not a write of the ledger: on PostgreSQL it takes no
    # writer lock, so a slow read never queues behind writes nor holds one back. (SQLite has
    # one write lock for every write: there it waits like any other.)
    if seeded.database.is_sqlite:
        return
    revision = seeded.revision()
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with seeded.database.writing():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert held.wait(30)
        started = time.monotonic()
        assert seeded.keep_answer(ADDRESS, revision, b"kept while a write holds the lock")
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join(30)
    assert waited < 10  # it did not wait for the writer, which holds the lock for 30 s
    assert seeded.kept_answer(ADDRESS, revision) == b"kept while a write holds the lock"
