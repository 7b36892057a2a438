"""Ledger.add_sources on real databases: many reports stored as add_source stores one, in
batches, each journalled in order, the same text once, and nothing written on bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from bench.generate import reports
from ledger.errors import InvalidInput
from ledger.ingest import CHUNK, ReportsRefused
from ledger.service import Ledger
from ledger.sources import declared_date, segment, sha256_of, source_id
from ledger.storage.journal import Journal
from ledger.storage.repository import Repository

UNDATED = "Hamas released 13 hostages on Friday. Israel freed 39 detainees."


def journal(ledger: Ledger) -> list:
    with ledger.database.reading() as session:
        return list(Journal(Repository(session)).links())


def test_many_reports_are_stored_as_one_at_a_time_would_store_them(ledger: Ledger, seed_text):
    texts = [*reports(2 * CHUNK + 3, seed=9), *seed_text.values()]
    day = {text: declared_date(text) or dt.date(2023, 11, 28) for text in texts}
    items = [(text, {"published_on": day[text], "title": f"Report {i}"})
             for i, text in enumerate(texts)]  # fmt: skip
    done = ledger.add_sources(items, "alice", batch=7, processes=2)
    assert (done.added, done.present, done.refused) == (len(texts), 0, {})
    assert [source for _, source, _ in done.stored] == [source_id(sha256_of(t)) for t in texts]
    stored = {s.id: s for s in ledger.sources()[1]}
    for i, text in enumerate(texts):
        source = stored[source_id(sha256_of(text))]
        assert source.text == text  # byte for byte
        assert source.sentences == segment(text)  # the same spans, kinds and numbers
        assert (source.title, source.published_on) == (f"Report {i}", day[text])
    assert done.sentences == sum(len(segment(t)) for t in texts)
    assert ledger.verify() == []


def test_each_source_has_its_journal_row_chained_in_input_order(ledger: Ledger):
    ledger.add_source(UNDATED, published_on="2023-11-24")
    texts = reports(CHUNK + 1, seed=4)
    done = ledger.add_sources(texts, batch=10, processes=2)
    links = journal(ledger)
    assert [link.action for link in links] == ["source.add"] * (len(texts) + 1)
    assert [link.subject for link in links[1:]] == [source for _, source, _ in done.stored]
    moments = [link.recorded_at for link in links]
    assert all(a < b for a, b in itertools.pairwise(moments))
    # Each source was recorded at its journal row's moment, so as_of sees them in order.
    recorded = {s.id: s.recorded_at for s in ledger.sources()[1]}
    assert [recorded[link.subject] for link in links] == moments
    assert ledger.revision(moments[5]) == 6
    assert ledger.verify() == []


def test_the_same_text_twice_is_one_source_in_the_input_and_against_the_store(ledger: Ledger):
    first, _ = ledger.add_source(UNDATED, published_on="2023-11-24")
    texts = reports(5, seed=3)
    done = ledger.add_sources(
        [texts[0], (UNDATED, {"published_on": "2023-11-25"}), texts[1], texts[0], texts[2]]
    )
    assert [created for *_, created in done.stored] == [True, False, True, False, True]
    assert done.stored[1] == ("item 1", first.id, False)
    assert done.stored[3][1] == done.stored[0][1]
    assert (done.added, done.present) == (3, 2)
    assert ledger.counts()["source"] == 4
    assert ledger.source(first.id).published_on == dt.date(2023, 11, 24)  # the stored one
    again = ledger.add_sources(texts[:3])
    assert (again.added, again.present) == (0, 3)
    assert len(journal(ledger)) == 4
    assert ledger.verify() == []


def test_a_text_stored_already_is_that_source_whatever_metadata_comes_with_it(
    ledger: Ledger,
):
    # As POST /v1/sources answers the same text with the stored source, without a date.
    stored, _ = ledger.add_source(UNDATED, published_on="2023-11-24")
    dated = reports(1, seed=6)[0]
    done = ledger.add_sources([UNDATED, (dated, {"title": "First"}), (dated, {"url": "not a url"})])
    assert done.refused == {}
    assert [(source, created) for _, source, created in done.stored] == [
        (stored.id, False),
        (source_id(sha256_of(dated)), True),
        (source_id(sha256_of(dated)), False),
    ]
    assert ledger.source(done.stored[1][1]).title == "First"
    assert ledger.verify() == []


def test_a_bad_report_names_itself_and_its_field_and_nothing_is_written(ledger: Ledger):
    texts = reports(CHUNK + 2, seed=8)
    bad = [
        *texts[:3],
        UNDATED,  # no date
        (texts[3], {"published_on": "2023-02-30", "url": "not a url"}),
        ("date 2023-11-28\n\x00", {}),
        *texts[4:],
    ]
    before = ledger.counts()
    with pytest.raises(ReportsRefused) as refused:
        ledger.add_sources(bad, processes=2)
    assert refused.value.errors == {
        "item 3: published_on": [
            "is required unless the text starts with a 'date YYYY-MM-DD' line."
        ],
        "item 4: published_on": ["must be a date written YYYY-MM-DD, not '2023-02-30'."],
        "item 4: url": ["must be an http:// or https:// address."],
        "item 5: text": ["contains a NUL character, which no report holds."],
    }
    assert "3 of 36 reports refused; nothing was written." in str(refused.value)
    assert ledger.counts() == before
    assert journal(ledger) == []


def test_keep_going_stores_the_good_reports_and_lists_the_bad(ledger: Ledger):
    texts = reports(3, seed=2)
    done = ledger.add_sources([texts[0], UNDATED, texts[1]], keep_going=True)
    assert done.refused == {
        "item 1": {
            "published_on": ["is required unless the text starts with a 'date YYYY-MM-DD' line."]
        }
    }
    assert [label for label, *_ in done.stored] == ["item 0", "item 2"]
    assert ledger.counts()["source"] == 2


def test_a_default_date_serves_reports_that_declare_none(ledger: Ledger):
    dated = reports(1, seed=1)[0]
    done = ledger.add_sources([UNDATED, dated], published_on="2023-11-30")
    undated, declared = (ledger.source(source) for _, source, _ in done.stored)
    assert undated.published_on == dt.date(2023, 11, 30)
    assert declared.published_on == dt.date.fromisoformat(dated[5:15])
    with pytest.raises(InvalidInput) as refused:
        ledger.add_sources([UNDATED], published_on="30/11/2023")
    assert list(refused.value.errors) == ["published_on"]
    assert ledger.counts()["source"] == 2


def test_files_are_read_as_utf8_and_named_in_problems(ledger: Ledger, tmp_path):
    good = tmp_path / "good.txt"
    good.write_bytes("date 2023-11-28\r\nReleased: 13 — ünïcödé.\r\n".encode())
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"date 2023-11-28\nM\xfcnchen.\n")
    with pytest.raises(ReportsRefused) as refused:
        ledger.add_sources([good, bad])
    assert list(refused.value.errors) == [f"{bad}: text"]
    assert ledger.counts()["source"] == 0
    done = ledger.add_sources([good, (tmp_path / "good.txt", {"title": "Same file"})])
    assert [(label, created) for label, _, created in done.stored] == [
        (str(good), True),
        (str(good), False),
    ]
    source = ledger.source(done.stored[0][1])
    assert source.text.encode("utf-8") == good.read_bytes()


def test_one_source_still_goes_through_add_source_with_its_journal_row(ledger: Ledger):
    source, created = ledger.add_source(UNDATED, published_on="2023-11-24", title="One")
    assert created
    stored = ledger.source(source.id)
    assert stored == dataclasses.replace(source, recorded_at=stored.recorded_at)
    assert stored.sentences == segment(UNDATED)
    assert [(link.action, link.subject) for link in journal(ledger)] == [("source.add", source.id)]
    assert ledger.verify() == []
