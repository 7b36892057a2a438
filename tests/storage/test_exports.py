"""The published tables on a real database: entries.csv read from the rows stored with each
revision is, byte for byte, the file rendered from the records, whatever was stored."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import text

from ledger import publication
from ledger.records import Entry, Evidence, Period
from ledger.selection import Selection
from ledger.service import Ledger
from ledger.storage.database import Database
from ledger.storage.exports import Exports

REPORT = (
    "date 2023-11-29\n"
    'Hamas released 12 hostages, officials said, "all of them" women.\n'
    "=SUM(1) said a sheet; Israel released 30 prisoners.\n"
)
OTHER = "date 2023-11-29\nA second report: Hamas released 12 hostages on Wednesday.\n"


def entry(source: str, other: str, **changes) -> dict:
    data = {
        "kind": "released", "population": "hostages", "count": 12,
        "period": {"start": "2023-11-29", "end": "2023-11-29"}, "party": "Hamas, the group",
        "framework": "truce_deal", "description": '"women" and, children',
        "period_phrase": "-on Wednesday", "period_note": "the report's\ndate",
        "evidence": [
            {"source": other, "quote": "Hamas released 12 hostages on Wednesday"},
            {"source": source, "quote": 'Hamas released 12 hostages, officials said, "all'},
            {"source": source, "quote": "=SUM(1) said a sheet"},
        ],
    }  # fmt: skip
    data.update(changes)
    return data


def entries_csv(ledger: Ledger, as_of=None, selection=None) -> tuple[str, str]:
    """entries.csv as served (stored rows) and as rendered from the records."""
    served = "".join(ledger.published_csv("entries", as_of, selection))
    rows = ledger.published_rows("entries", as_of, selection)
    return served, "".join(publication.csv_lines(publication.ENTRIES, rows))


def sql(database: Database, statement: str, **params) -> None:
    """A change made around the service (a store of any schema, no read model kept)."""
    with database.engine.begin() as connection:
        connection.execute(text(statement), params)


def stored_rows(database: Database) -> int:
    with database.reading() as session:
        return session.execute(text("SELECT count(*) FROM published_entry_row")).scalar_one()


def written(ledger: Ledger) -> tuple[dt.datetime, list[str]]:
    """A ledger with revisions, a retraction and a bulk import; a moment in its middle."""
    source, _ = ledger.add_source(REPORT)
    other, _ = ledger.add_source(OTHER)
    first = ledger.add_entry(entry(source.id, other.id), "alice")
    second = ledger.add_entry(entry(source.id, other.id, count=7, nationality="@Thai"), "bob")
    ledger.revise_entry(first.id, entry(source.id, other.id, count=13), "bob", "+1 later")
    middle = ledger.entry(first.id).recorded_at
    ledger.retract_entry(second.id, "alice", "a duplicate")
    ledger.add_entry(entry(source.id, other.id, kind="captured"), "carol")
    quoted = ledger.entry(first.id).evidence
    ledger.import_entries(
        (
            Entry(id=f"ent_bulk{i}", kind=("rescued",), population="hostages", count=i,
                  period=Period(dt.date(2023, 11, 20 + i), dt.date(2023, 11, 20 + i)),
                  party="Israel", framework="other", evidence=quoted[i % 3 :])
            for i in range(3)
        ),
        "importer",
    )  # fmt: skip
    return middle, [first.id, second.id]


QUESTIONS = [
    (None, None),
    (None, Selection(party="Hamas, the group")),
    (None, Selection(kind="rescued", start=dt.date(2023, 11, 21))),
    (None, Selection(source="src_none")),
]


def test_entries_csv_from_stored_rows_is_the_file_rendered_from_the_records(ledger: Ledger):
    middle, (first, second) = written(ledger)
    assert stored_rows(ledger.database) == 8  # every revision, retractions and imports too
    for as_of, selection in [*QUESTIONS, (middle, None), (middle, Selection(kind="released"))]:
        served, rendered = entries_csv(ledger, as_of, selection)
        assert served == rendered, (as_of, selection)
    served, _ = entries_csv(ledger)
    assert second not in served and first in served  # retracted: not in force
    assert served.count("\r\n") == 1 + 2 + 3  # the header, two entries in force, three imports
    # Words are defused and quoted as csv_lines writes them; sources sorted, quotes in order.
    assert '"Hamas, the group"' in served and "'-on Wednesday" in served


def test_a_revision_without_a_current_stored_row_is_rendered_as_it_is_read(
    ledger: Ledger, database: Database
):
    written(ledger)
    before = {question: entries_csv(ledger, *question)[0] for question in QUESTIONS}
    sql(database, "DELETE FROM published_entry_row WHERE entry_revision_id IN (1, 4, 6)")
    # A revision moved to a later moment after its row was stored: the row names the moment
    # it was rendered for, so it is not read stale.
    sql(
        database,
        "UPDATE published_entry_row SET line = 'stale', recorded_at = "
        "(SELECT recorded_at FROM entry_revision WHERE id = 1) WHERE entry_revision_id = 5",
    )
    for question, text_before in before.items():
        served, rendered = entries_csv(ledger, *question)
        assert served == rendered == text_before, question
    with database.writing() as session:
        # The missing ones; the stale one is kept.
        assert Exports(session).fill_published_rows(publication.entry_line) == 3
    for question, text_before in before.items():
        assert entries_csv(ledger, *question)[0] == text_before


def test_a_migration_that_changes_entries_csv_stores_every_row_again(
    ledger: Ledger, database: Database
):
    # Migration 0006 adds columns to entries.csv: the store as it stood before it (0005) has
    # rows rendered the old way. The migration drops them (it carries no live code to render
    # them), the export renders what it finds no row for, and Ledger.migrate stores them all
    # again once the migrations have run.
    written(ledger)
    served = entries_csv(ledger)[0]
    database.downgrade("0005")
    sql(database, "UPDATE published_entry_row SET line = 'rendered the old way'")
    assert database.migrate() is True
    assert database.schema_is_current() and stored_rows(database) == 0
    assert entries_csv(ledger)[0] == served
    # A start after a crash between the migration and the rows: nothing to migrate, the
    # missing rows are stored all the same.
    ledger.migrate()
    assert stored_rows(database) == 8
    assert entries_csv(ledger)[0] == served
    database.downgrade("0005")
    ledger.migrate()
    assert database.schema_is_current() and stored_rows(database) == 8
    assert entries_csv(ledger)[0] == served
    assert database.migrate() is False  # nothing to run: nothing to fill either


def test_a_page_of_entries_read_from_the_database_is_that_page_of_the_ledger(ledger: Ledger):
    middle, _ = written(ledger)
    # Names are matched as written on both engines (SQLite's LIKE would ignore case).
    named = [(middle, Selection(nationality=n)) for n in ("@Thai", "@thai", "Thai")]
    assert [len(ledger.entries(*question)) for question in named] == [1, 0, 0]
    for as_of, selection in [*QUESTIONS, (middle, None), (middle, Selection(kind="released")),
                             *named]:  # fmt: skip
        whole = ledger.entries(as_of, selection)
        for offset, limit in [(0, 100), (0, 2), (2, 2), (4, 3), (len(whole), 5), (2**31, 5)]:
            total, page = ledger.entries_page(as_of, selection or Selection(), offset, limit)
            assert (total, page) == (len(whole), whole[offset : offset + limit]), (as_of, offset)


def test_evidence_sources_and_sentences_are_the_rows_of_the_records(ledger: Ledger):
    middle, _ = written(ledger)
    for as_of, selection in [*QUESTIONS, (middle, None)]:
        entries = ledger.entries(as_of, selection)
        assert [tuple(row) for row in ledger.published_rows("evidence", as_of, selection)] == [
            (e.id, position, ev.source, ev.sentence, ev.quote, ev.start, ev.end,
             ev.sentence_text, ev.published_on)
            for e in sorted(entries, key=lambda e: e.id)
            for position, ev in enumerate(e.evidence)
        ], (as_of, selection)  # fmt: skip
    _, sources = ledger.sources()
    assert [tuple(row) for row in ledger.published_rows("sources")] == [
        (s.id, s.sha256, s.published_on, s.title, s.publisher, s.url, s.recorded_at,
         len(s.text), len(s.sentences))
        for s in sorted(sources, key=lambda s: s.id)
    ]  # fmt: skip
    only = sources[0].id
    assert [row[0] for row in ledger.published_rows("sources", None, Selection(source=only))] == [
        only
    ]
    assert [tuple(row) for row in ledger.published_rows("sentences")] == [
        (s.id, n.n, n.start, n.end, n.kind, n.text)
        for s in sorted(sources, key=lambda s: s.id)
        for n in s.sentences
    ]


def test_an_entry_line_is_one_csv_row_of_the_entries_table():
    quoted = Evidence("src_a", 1, 'a "quote", with\r\nlines', 0, 10)
    revision = Entry(
        id="ent_a", kind="released", population="hostages", count=3,
        period=Period(dt.date(2023, 11, 24), dt.date(2023, 11, 24)), party="+party",
        evidence=(quoted, dataclasses.replace(quoted, source="src_0", quote="=2")),
        recorded_at=dt.datetime(2023, 11, 28, 12, tzinfo=dt.UTC), author="desk",
    )  # fmt: skip
    line = publication.entry_line(revision)
    whole = "".join(publication.csv_lines(publication.ENTRIES, [publication.entry_row(revision)]))
    assert whole == ",".join(publication.ENTRIES.header) + "\r\n" + line + "\r\n"
