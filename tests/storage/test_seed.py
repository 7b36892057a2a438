"""The seed ledger on SQLite and PostgreSQL: byte-for-byte reports, pinned totals, idempotent."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.errors import InvalidInput, LedgerError
from ledger.seed import load_seed, seed_folder
from ledger.service import Ledger
from ledger.storage.database import Database
from tests.conftest import ROOT, SHARED_SEEDS

D = dt.date


# The SHA-256 of each seed report as received (the same files as ../shared/seeds): pinned here
# so that no edit to seed/ or sources.yaml can move them unnoticed.
SEED_SHA256 = {
    "000_107769c31182abaa.txt": "1ad57b34380d078ed7595141c6ee74c6cd0b377a0c314a6ea8a5739b21f21f3d",
    "001_e79ee798e13953f7.txt": "53be30cdb8808ddb58c438fce605c607a529a18456e291486f3f9c146e0d753e",
}


def test_the_seed_reports_are_the_shared_seeds_byte_for_byte():
    listed = yaml.safe_load((ROOT / "seed" / "sources.yaml").read_text())
    assert [item["file"] for item in listed] == sorted(
        p.name for p in (ROOT / "seed").glob("*.txt")
    )
    assert {item["file"]: item["sha256"] for item in listed} == SEED_SHA256
    for item in listed:
        data = (ROOT / "seed" / item["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == SEED_SHA256[item["file"]]
        assert item["published_on"] == D(2023, 11, 28)
        assert item["published_on_basis"].strip() and item["publisher_basis"].strip()
        assert item["title"] is None and item["publisher"] is None and item["url"] is None
        shared = SHARED_SEEDS / item["file"]
        if shared.exists():
            assert hashlib.sha256(shared.read_bytes()).hexdigest() == SEED_SHA256[item["file"]]
    assert seed_folder() == ROOT / "seed"


def test_loading_is_idempotent(seeded: Ledger):
    before = seeded.counts()
    revision = seeded.revision()
    report = load_seed(seeded)
    assert report.added == {}
    assert report.present == {"sources": 2, "exchanges": 1, "entries": 9, "terms": 5, "notes": 3}
    assert seeded.counts() == before and seeded.revision() == revision
    assert seeded.verify() == []


@pytest.mark.parametrize(
    ("filters", "low_high", "last_day"),
    [
        ({"population": "hostages", "kind": "released"}, (73, 73), D(2023, 11, 28)),
        ({"population": "detainees", "kind": "released"}, (150, 150), D(2023, 11, 27)),
        ({"population": "hostages", "kind": "rescued"}, (1, 1), D(2023, 11, 23)),
        ({"population": "hostages", "kind": "found_dead"}, (2, 2), D(2023, 11, 23)),
        ({"population": "hostages", "kind": "captured"}, (240, 240), D(2023, 10, 7)),
        (
            {"population": "hostages", "kind": "released", "framework": "truce_deal"},
            (50, 50),
            D(2023, 11, 27),
        ),
        (
            {"population": "hostages", "kind": "released", "framework": "parallel_deal"},
            (19, 19),
            D(2023, 11, 28),
        ),
        # 17 Thais, and the four released before Friday, whose nationality the reports do
        # not give: any of them may have been Thai.
        (
            {"population": "hostages", "kind": "released", "nationality": "Thai"},
            (17, 21),
            D(2023, 11, 28),
        ),
        (
            {"population": "hostages", "kind": "released", "exchange": "exc_nov2023_truce"},
            (69, 69),
            D(2023, 11, 28),
        ),
        (
            {"population": "hostages", "kind": "released", "nationality": "Israeli"},
            (51, 55),
            D(2023, 11, 28),
        ),
    ],
)
def test_seed_totals(seeded: Ledger, filters, low_high, last_day):
    result = seeded.totals(**filters)
    assert (result.total.low, result.total.high) == low_high
    assert result.days[-1].date == last_day
    assert result.conflicts == ()


def test_the_truce_releases_are_known_only_at_the_end_of_the_four_days(seeded: Ledger):
    days = seeded.totals(population="hostages", kind="released", framework="truce_deal").days
    assert [(d.date, d.cumulative.low, d.cumulative.high) for d in days] == [
        (D(2023, 11, 24), 0, 50),
        (D(2023, 11, 25), 0, 50),
        (D(2023, 11, 26), 0, 50),
        (D(2023, 11, 27), 50, 50),
    ]
    assert all(d.entries == ("ent_seed_truce_hostages",) for d in days)


def test_both_reports_back_the_truce_figures(seeded: Ledger):
    events = seeded.totals(framework="truce_deal").events
    assert {(e.scope.population, e.corroboration) for e in events} == {
        ("hostages", 2),
        ("detainees", 2),
    }


def test_the_schedule_expects_50_then_ten_a_day(seeded: Ledger):
    result = seeded.schedule(
        population="hostages", kind="released", party="Hamas", framework="truce_deal"
    )
    expected = {d.date: d.expected for d in result.days}
    assert (expected[D(2023, 11, 27)].low, expected[D(2023, 11, 27)].high) == (50, 50)
    assert (expected[D(2023, 11, 28)].low, expected[D(2023, 11, 28)].high) == (60, 60)
    assert (expected[D(2023, 11, 29)].low, expected[D(2023, 11, 29)].high) == (70, 70)
    status = {d.date: d.status for d in result.days}
    assert status[D(2023, 11, 27)] == "met"
    assert status[D(2023, 11, 29)] == "unknown"


def test_by_the_eve_of_the_truce_exactly_four_hostages_were_released(seeded: Ledger):
    # "Before Friday, just four hostages had been released by Hamas."
    released = seeded.totals(population="hostages", kind="released")
    by_day = {d.date: d.cumulative for d in released.days}
    assert (by_day[D(2023, 11, 23)].low, by_day[D(2023, 11, 23)].high) == (4, 4)
    assert (by_day[D(2023, 10, 7)].low, by_day[D(2023, 10, 7)].high) == (0, 4)
    until = seeded.totals(population="hostages", kind="released", end=D(2023, 11, 23))
    assert (until.total.low, until.total.high) == (4, 4)
    assert (released.total.low, released.total.high) == (73, 73)


def test_the_parallel_releases_fall_between_friday_and_publication(seeded: Ledger):
    days = seeded.totals(population="hostages", kind="released", framework="parallel_deal").days
    assert [(d.date, d.cumulative.low, d.cumulative.high) for d in days] == [
        (D(2023, 11, 24), 0, 19),
        (D(2023, 11, 25), 0, 19),
        (D(2023, 11, 26), 0, 19),
        (D(2023, 11, 27), 0, 19),
        (D(2023, 11, 28), 19, 19),
    ]
    for entry_id in ("ent_seed_parallel_thais", "ent_seed_parallel_filipino"):
        note = seeded.entry(entry_id).period_note
        assert "Before Friday, just four hostages had been released by Hamas." in note
        assert "which led to the release of 17 Thais" in note


def test_still_held_is_captured_less_everyone_out(seeded: Ledger):
    (hamas,) = seeded.still_held(party="Hamas")
    assert (hamas.total.low, hamas.total.high) == (164, 164)
    first = hamas.days[0]
    # On October 7 at most the four released before Friday, the one rescued and the two found
    # dead can have left: 240 - 7.
    assert (first.date, first.still_held.low, first.still_held.high) == (D(2023, 10, 7), 233, 240)


def test_context_notes_stay_out_of_every_total(seeded: Ledger):
    notes = {n.id: n for n in seeded.notes()}
    assert {n: (notes[n].count, notes[n].unit, notes[n].qualifier) for n in notes} == {
        "ctx_seed_killed_october_7": (1200, "people", "approx"),
        "ctx_seed_killed_gaza": (15000, "people", "more_than"),
        "ctx_seed_killed_gaza_children": (40, "percent", "approx"),
    }
    everything = seeded.totals()
    assert everything.total.low == 73 + 150 + 1 + 2 + 240
    for note in notes.values():
        for evidence in note.evidence:
            assert seeded.source(evidence.source).text[evidence.start : evidence.end] == (
                evidence.quote
            )


def test_every_seed_number_is_traced_to_its_sentence(seeded: Ledger):
    for entry in seeded.entries() + seeded.terms():
        assert entry.evidence, entry.id
        for evidence in entry.evidence:
            source = seeded.source(evidence.source)
            assert source.text[evidence.start : evidence.end] == evidence.quote
            sentence = source.sentences[evidence.sentence]
            assert sentence.start <= evidence.start and evidence.end <= sentence.end
            assert evidence.published_on == D(2023, 11, 28)
        if entry.period.start != entry.period.end or entry.id.startswith("trm"):
            assert entry.period_phrase and entry.period_note, entry.id


def test_as_of_before_a_correction_reproduces_the_published_figure(seeded: Ledger):
    published = max(entry.recorded_at for entry in seeded.entries())
    seeded.revise_entry(
        "ent_seed_truce_hostages",
        {
            "kind": "released",
            "population": "hostages",
            "count": 51,
            "period": {"start": "2023-11-24", "end": "2023-11-27"},
            "party": "Hamas",
            "nationality": "Israeli",
            "framework": "truce_deal",
            "description": "a test correction",
            "evidence": [{"source": "src_53be30cdb8808ddb", "quote": "50 civilian hostages"}],
        },
        "tester",
        "checking as_of",
    )
    assert seeded.totals(population="hostages", kind="released").total.low == 74
    assert seeded.totals(as_of=published, population="hostages", kind="released").total.low == 73


def test_totals_for_an_unchanged_ledger_are_computed_once(seeded: Ledger):
    first = seeded.totals(population="hostages")
    assert seeded.totals(population="hostages") is first
    assert seeded.totals(population="detainees") is not first
    seeded.add_source("date 2023-11-29\nA report that moves the ledger on.")
    assert seeded.totals(population="hostages") is not first


REFUSE_A_NOTE = {
    "sqlite": [
        """CREATE TRIGGER refuse_a_note BEFORE INSERT ON note
        WHEN NEW.id = 'ctx_seed_killed_gaza_children'
        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END""",
    ],
    "postgresql": [
        """CREATE FUNCTION refuse_a_note() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.id = 'ctx_seed_killed_gaza_children' THEN
                RAISE EXCEPTION 'refused by the test';
            END IF;
            RETURN NEW;
        END $$""",
        """CREATE TRIGGER refuse_a_note BEFORE INSERT ON note
        FOR EACH ROW EXECUTE FUNCTION refuse_a_note()""",
    ],
}


def test_a_load_that_fails_midway_stores_nothing(empty_url):
    """The last record of the seed is refused by the database itself: no part of it stays."""
    database = Database(empty_url)
    try:
        database.migrate()
        dialect = database.engine.dialect.name
        with database.engine.begin() as connection:
            for statement in REFUSE_A_NOTE[dialect]:
                connection.execute(text(statement))
        ledger = Ledger(database)
        with pytest.raises((DBAPIError, LedgerError), match="refused by the test"):
            load_seed(ledger)
        assert set(ledger.counts().values()) == {0}
        with database.engine.begin() as connection:
            on_note = "" if dialect == "sqlite" else " ON note"
            connection.execute(text(f"DROP TRIGGER refuse_a_note{on_note}"))
        report = load_seed(ledger)
        assert report.added == {"sources": 2, "exchanges": 1, "entries": 9, "terms": 5, "notes": 3}
        assert ledger.verify() == []
    finally:
        database.dispose()


def test_a_bad_record_id_is_refused_before_anything_is_written(ledger: Ledger, tmp_path):
    folder = tmp_path / "seed"
    shutil.copytree(ROOT / "seed", folder)
    curated = (folder / "ledger.yaml").read_text(encoding="utf-8")
    (folder / "ledger.yaml").write_text(
        curated.replace("id: trm_seed_extension_twenty", "id: ent_seed_extension_twenty"),
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as refused:
        load_seed(ledger, folder)
    assert "must look like trm_" in refused.value.errors["terms[ent_seed_extension_twenty].id"][0]
    assert set(ledger.counts().values()) == {0}


def test_a_store_seeded_before_exchanges_gets_them_as_seed_revisions(ledger: Ledger, tmp_path):
    # The curated ledger as it was before the counting model v2: no exchange anywhere.
    folder = tmp_path / "seed"
    shutil.copytree(ROOT / "seed", folder)
    curated = yaml.safe_load((folder / "ledger.yaml").read_text(encoding="utf-8"))
    del curated["exchanges"]
    for section in ("entries", "terms"):
        for item in curated[section]:
            item.pop("exchange", None)
    for term in curated["terms"]:
        term["exchange"] = None
    (folder / "ledger.yaml").write_text(yaml.safe_dump(curated), encoding="utf-8")
    with pytest.raises(InvalidInput):  # a term needs its exchange now
        load_seed(ledger, folder)
    for term in curated["terms"]:
        del term["exchange"]
    curated["terms"] = []
    (folder / "ledger.yaml").write_text(yaml.safe_dump(curated), encoding="utf-8")
    load_seed(ledger, folder)
    # A person corrected one of the seed's entries since: that revision is never overridden.
    filipino = ledger.entry("ent_seed_parallel_filipino")
    data = {
        "kind": "released", "population": "hostages", "count": 1, "party": "Hamas",
        "nationality": "Filipino", "framework": "parallel_deal",
        "period": {"start": "2023-11-24", "end": "2023-11-28"},
        "evidence": [{"source": e.source, "quote": e.quote} for e in filipino.evidence],
    }  # fmt: skip
    ledger.revise_entry(filipino.id, data, "desk", "checked", filipino.revision)
    report = load_seed(ledger)
    assert report.added == {"exchanges": 1, "terms": 5}
    assert report.revised == {"entries": 4}
    assert ledger.entry("ent_seed_truce_hostages").exchange == "exc_nov2023_truce"
    assert ledger.entry("ent_seed_truce_hostages").author == "seed"
    assert ledger.entry(filipino.id).author == "desk"
    assert ledger.verify() == []
    again = load_seed(ledger)
    assert again.added == {} and again.revised == {}
