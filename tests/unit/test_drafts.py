"""Entries, terms and notes as submitted: every field checked, every problem named."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.drafts import parse_entry, parse_exchange, parse_note, parse_term
from ledger.errors import InvalidInput
from ledger.records import Exchange, Source
from ledger.sources import segment, sha256_of, source_id

TEXT = (
    "date 2023-11-28 Over the initial four-day pause, 50 civilian hostages were freed.\n\n"
    "Hamas released 13 hostages on Friday. Hamas released 13 hostages on Saturday.\n"
)


@pytest.fixture
def report() -> Source:
    sha = sha256_of(TEXT)
    return Source(
        id=source_id(sha),
        sha256=sha,
        text=TEXT,
        published_on=dt.date(2023, 11, 28),
        sentences=segment(TEXT),
    )


TRUCE = Exchange("exc_truce", "truce", ("Israel", "Hamas"), dt.date(2023, 11, 24))
EXCHANGES = {TRUCE.id: TRUCE}.get


@pytest.fixture
def find(report):
    return {report.id: report}.get


def entry(report, **changes):
    data = {
        "kind": "released",
        "population": "hostages",
        "count": 50,
        "period": {"start": "2023-11-24", "end": "2023-11-27"},
        "party": "Hamas",
        "framework": "truce_deal",
        "description": "civilian hostages",
        "evidence": [{"source": report.id, "quote": "50 civilian hostages were freed"}],
    }
    data.update(changes)
    return data


def problems(data, find, parse=parse_entry):
    with pytest.raises(InvalidInput) as refused:
        parse(data, find, EXCHANGES)
    return refused.value.errors


def test_a_quote_without_a_sentence_is_found_once_in_the_source(report, find):
    parsed = parse_entry(entry(report), find)
    (evidence,) = parsed.evidence
    assert evidence.sentence == 1
    assert TEXT[evidence.start : evidence.end] == "50 civilian hostages were freed"
    assert evidence.sentence_text.startswith("Over the initial four-day pause")
    assert evidence.published_on == dt.date(2023, 11, 28)
    assert (parsed.qualifier, parsed.nationality) == ("exact", None)


def test_a_quote_in_its_sentence_gets_absolute_offsets(report, find):
    data = entry(report, evidence=[{"source": report.id, "sentence": 3, "quote": "13 hostages"}])
    (evidence,) = parse_entry(data, find).evidence
    assert TEXT[evidence.start : evidence.end] == "13 hostages"
    assert evidence.start > TEXT.index("Saturday") - 40


def test_a_quote_not_in_its_sentence_is_refused_with_the_nearest_words(report, find):
    data = entry(
        report,
        evidence=[
            {"source": report.id, "sentence": 1, "quote": "50 civilian  Hostages were freed"}
        ],
    )
    message = problems(data, find)["evidence[0].quote"][0]
    assert "not in sentence 1" in message
    assert "'50 civilian hostages were freed'" in message


def test_an_ambiguous_quote_needs_its_sentence(report, find):
    data = entry(report, evidence=[{"source": report.id, "quote": "13 hostages"}])
    assert "occurs 2 times" in problems(data, find)["evidence[0].quote"][0]


def test_a_quote_may_not_run_across_sentences(report, find):
    data = entry(report, evidence=[{"source": report.id, "quote": "on Friday. Hamas"}])
    assert "across two sentences" in problems(data, find)["evidence[0].quote"][0]


def test_unknown_sources_and_sentences_are_named(report, find):
    data = entry(
        report,
        evidence=[
            {"source": "src_0000000000000000", "quote": "x"},
            {"source": report.id, "sentence": 9, "quote": "x"},
            {"source": report.id, "sentence": True, "quote": ""},
        ],
    )
    errors = problems(data, find)
    assert "POST it first" in errors["evidence[0].source"][0]
    assert "sentences 0..3" in errors["evidence[1].sentence"][0]
    assert set(errors) >= {"evidence[2].sentence", "evidence[2].quote"}


def test_every_problem_is_reported_at_once(report, find):
    data = entry(
        report,
        kind="freed",
        population="people",
        count=-1,
        qualifier="roughly",
        period={"start": "2023-11-27", "end": "2023-11-24"},
        party="  ",
        framework="secret",
        evidence=[],
        colour="red",
    )
    errors = problems(data, find)
    assert set(errors) == {
        "kind",
        "population",
        "count",
        "qualifier",
        "period.end",
        "party",
        "framework",
        "evidence",
        "colour",
    }
    assert "released, rescued, found_dead, remains_returned, captured" in errors["kind"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"count": 10**12}, "count"),
        ({"count": 5.0}, "count"),
        ({"count": True}, "count"),
        ({"count": "50"}, "count"),
        ({"count": None}, "count"),
        ({"period": {"start": "9999-01-01", "end": "9999-01-02"}}, "period.start"),
        ({"period": {"start": "2023-11-24", "end": "2023-13-01"}}, "period.end"),
        ({"period": "2023-11-24"}, "period"),
        ({"period": {"start": "2023-11-24", "end": "2023-11-25", "days": 2}}, "period.days"),
        ({"period": {"start": "2023-11-30", "end": "2023-11-30"}}, "period.start"),
        ({"nationality": 7}, "nationality"),
        ({"nationality": []}, "nationality"),
        ({"nationality": ["Thai", "Thai"]}, "nationality"),
        ({"nationality": "Thai;Filipino"}, "nationality"),
        ({"kind": ["captured", "released"]}, "kind"),
        ({"kind": ["released", "released"]}, "kind"),
        ({"qualifier": "between"}, "count_high"),
        ({"qualifier": "between", "count_high": 40}, "count_high"),
        ({"count_high": 60}, "count_high"),
        ({"framework": "a deal"}, "framework"),
        ({"exchange": "exc_unknown"}, "exchange"),
        ({"batch": "night"}, "batch"),
        (
            {"exchange": "exc_truce", "period": {"start": "2023-11-20", "end": "2023-11-27"}},
            "period.start",
        ),
        ({"period": {"end": "2023-11-27"}}, "period.start"),
        ({"description": "x" * 5000}, "description"),
        ({"evidence": "50 civilian hostages"}, "evidence"),
        ({"evidence": [["not", "an", "object"]]}, "evidence[0]"),
        ({"evidence": [{"source": "x", "quote": "y", "page": 3}]}, "evidence[0].page"),
    ],
)
def test_bad_fields_are_named(report, find, changes, field):
    assert field in problems(entry(report, **changes), find)


def test_a_body_that_is_not_an_object_is_refused(find):
    assert "body" in problems(["not", "an", "entry"], find)


def test_names_are_folded_so_keys_never_split_on_spaces(report, find):
    parsed = parse_entry(entry(report, party="  Hamas ", nationality="Russian-Israeli "), find)
    assert (parsed.party, parsed.nationality) == ("Hamas", ("Russian-Israeli",))


def test_look_alike_names_are_one_key(report, find):
    """The attack: "Spoof", a fullwidth S, a zero-width space and a right-to-left override
    made four parties. NFKC makes the first two one name; the hidden ones are refused."""
    fullwidth = parse_entry(entry(report, party="\uff33poof"), find, EXCHANGES)
    decomposed = parse_entry(entry(report, nationality="Thai\u0308"), find, EXCHANGES)
    assert fullwidth.party == "Spoof" and decomposed.nationality == ("Tha\u00ef",)
    for field, value in (
        ("party", "Spo\u200bof"),
        ("party", "\u202efoopS"),
        ("nationality", ["Thai", "Isra\u2066eli"]),
        ("batch", "round\ufe0f 1"),
        ("party", "Spoof\x07"),
    ):
        refused = problems(entry(report, **{field: value}, exchange=TRUCE.id), find)
        assert field in refused and "must read as it is stored" in refused[field][0], value


def test_a_part_of_the_scope_left_out_is_not_stated(report, find):
    data = entry(report)
    del data["party"], data["framework"]
    parsed = parse_entry(data, find)
    assert (parsed.party, parsed.nationality, parsed.framework) == (None, None, None)
    assert (parsed.exchange, parsed.batch) == (None, None)


def test_lists_of_kinds_nationalities_and_batches_are_kept_in_order(report, find):
    parsed = parse_entry(
        entry(
            report, kind=["remains_returned", "released"], nationality=["Russian", "Israeli"],
            exchange="exc_truce", batch=["r8", "r7"], qualifier="between", count=50,
            count_high=52,
        ),
        find,
        EXCHANGES,
    )  # fmt: skip
    assert parsed.kind == ("released", "remains_returned")
    assert parsed.nationality == ("Israeli", "Russian") and parsed.batch == ("r7", "r8")
    assert (parsed.statement.low, parsed.statement.high) == (50, 52)


def test_a_running_total_of_an_exchange_may_give_only_its_end_day(report, find):
    parsed = parse_entry(
        entry(report, exchange="exc_truce", period={"end": "2023-11-27"}), find, EXCHANGES
    )
    assert (parsed.period.start, parsed.period.end) == (TRUCE.first_day, dt.date(2023, 11, 27))


def test_an_exchange_names_its_parties_in_order_and_its_days(report, find):
    exchange = parse_exchange(
        {
            "name": "truce",
            "parties": ["Israel", "Hamas"],
            "first_day": "2023-11-24",
            "evidence": [{"source": report.id, "quote": "the initial four-day pause"}],
        },
        find,
    )
    assert exchange.parties == ("Israel", "Hamas") and exchange.last_day is None
    errors = problems(
        {"name": "", "parties": [], "first_day": "2023-11-24", "last_day": "2023-11-01",
         "evidence": []},
        find,
        lambda data, found, _: parse_exchange(data, found),
    )  # fmt: skip
    assert set(errors) == {"name", "parties", "last_day", "evidence"}


def test_terms_belong_to_an_exchange_and_default_to_released(report, find):
    term = parse_term(
        {
            "exchange": "exc_truce",
            "population": "hostages",
            "party": "Hamas",
            "count": 10,
            "per": "day",
            "qualifier": "at_least",
            "period": {"start": "2023-11-28", "end": "2023-11-29"},
            "evidence": [{"source": report.id, "quote": "50 civilian hostages"}],
        },
        find,
        EXCHANGES,
    )
    assert (term.kind, term.framework, term.per) == ("released", None, "day")
    assert term.exchange == "exc_truce"
    errors = problems(
        {"population": "hostages", "party": "Hamas", "count": 10, "per": "week", "evidence": []},
        find,
        parse_term,
    )
    assert set(errors) == {"exchange", "per", "period", "evidence"}


def test_notes_take_shares_and_open_counts(report, find):
    note = parse_note(
        {
            "topic": "share",
            "count": 40,
            "unit": "percent",
            "qualifier": "approx",
            "evidence": [{"source": report.id, "quote": "50 civilian hostages"}],
        },
        find,
    )
    assert (note.count, note.unit, note.period) == (40, "percent", None)
    errors = problems(
        {
            "topic": "x",
            "count": float("nan"),
            "unit": "bags",
            "evidence": [{"source": report.id, "quote": "99"}],
        },
        find,
        lambda data, found, _: parse_note(data, found),
    )
    assert set(errors) == {"count", "unit", "evidence[0].quote"}


LATER = "date 2023-11-30 Hamas released 13 hostages on Friday, the mediator said.\n"


@pytest.fixture
def later_report() -> Source:
    sha = sha256_of(LATER)
    return Source(
        id=source_id(sha),
        sha256=sha,
        text=LATER,
        published_on=dt.date(2023, 11, 30),
        sentences=segment(LATER),
    )


def test_an_entry_may_not_end_after_every_cited_report(report, find):
    data = entry(report, period={"start": "2023-11-24", "end": "2023-11-29"})
    errors = problems(data, find)
    assert set(errors) == {"period.end"}
    (message,) = errors["period.end"]
    assert message.startswith("is after 2023-11-28, when the latest of the cited sources")
    # Ending on the day of publication is reporting, not looking ahead.
    same_day = entry(report, period={"start": "2023-11-24", "end": "2023-11-28"})
    assert parse_entry(same_day, find).period.end == dt.date(2023, 11, 28)


def test_one_later_report_is_enough_for_a_period_that_ends_after_an_earlier_one(
    report, later_report
):
    find = {report.id: report, later_report.id: later_report}.get
    data = entry(
        report,
        period={"start": "2023-11-24", "end": "2023-11-29"},
        evidence=[
            {"source": report.id, "quote": "50 civilian hostages were freed"},
            {"source": later_report.id, "quote": "13 hostages"},
        ],
    )
    assert parse_entry(data, find).period.end == dt.date(2023, 11, 29)
    data["period"] = {"start": "2023-11-24", "end": "2023-12-01"}
    assert "2023-11-30" in problems(data, find)["period.end"][0]


def test_a_term_may_look_ahead_of_its_report(report, find):
    term = parse_term(
        {
            "exchange": "exc_truce",
            "population": "hostages",
            "party": "Hamas",
            "count": 10,
            "per": "day",
            "period": {"start": "2023-11-28", "end": "2023-12-05"},
            "evidence": [{"source": report.id, "quote": "50 civilian hostages"}],
        },
        find,
        EXCHANGES,
    )
    assert term.period.end == dt.date(2023, 12, 5)
