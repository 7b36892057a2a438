"""Sources: hashing, the date line, and sentences with exact offsets."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidInput, TooLarge
from ledger.sources import (
    MAX_SOURCE_BYTES,
    check_metadata,
    check_text,
    declared_date,
    segment,
    sha256_of,
    source_id,
)

FIRST = "000_107769c31182abaa.txt"
SECOND = "001_e79ee798e13953f7.txt"


def test_seed_reports_keep_their_sha256(seed_text):
    assert sha256_of(seed_text[FIRST]) == (
        "1ad57b34380d078ed7595141c6ee74c6cd0b377a0c314a6ea8a5739b21f21f3d"
    )
    assert sha256_of(seed_text[SECOND]) == (
        "53be30cdb8808ddb58c438fce605c607a529a18456e291486f3f9c146e0d753e"
    )
    assert source_id(sha256_of(seed_text[FIRST])) == "src_1ad57b34380d078e"


@pytest.mark.parametrize("name", [FIRST, SECOND])
def test_every_sentence_slices_out_of_its_source(seed_text, name):
    text = seed_text[name]
    sentences = segment(text)
    assert [s.n for s in sentences] == list(range(len(sentences)))
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()
    # Together they cover every non-blank character, in order, without overlap.
    assert all(a.end <= b.start for a, b in itertools.pairwise(sentences))
    covered = "".join(s.text for s in sentences)
    assert "".join(covered.split()) == "".join(text.split())


def test_headings_links_and_the_date_line_are_kept_and_marked(seed_text):
    first = {s.text: s.kind for s in segment(seed_text[FIRST])}
    assert first["Israel has sworn to annihilate Hamas"] == "heading"
    assert first["Israel has sworn to annihilate Hamas, which rules Gaza."] == "sentence"
    second = segment(seed_text[SECOND])
    assert (second[0].text, second[0].kind) == ("date 2023-11-28", "dateline")
    assert second[1].text.startswith("US and Israeli intelligence chiefs")
    kinds = {s.text: s.kind for s in second}
    assert kinds["'We are hopeful'"] == "heading"
    assert kinds["Related Israel-Hamas truce in Gaza extended by two additional days: Qatar"] == (
        "link"
    )


def test_a_report_splits_into_sentences_not_at_every_full_stop(seed_text):
    texts = [s.text for s in segment(seed_text[FIRST])]
    assert "Barnea and Burns were previously in Qatar to meet Sheikh Mohammed on Nov 9." in texts
    assert "The official did not elaborate." in texts
    assert len(texts) == 16


def test_offsets_count_code_points_not_bytes():
    text = "date 2024-01-02\nשלום עולם. Ünïcödé 🙂 sentence two.\r\nThird one!"  # noqa: RUF001
    spans = [(s.start, s.end) for s in segment(text)]
    # Positions found by str.index count code points; UTF-8 or UTF-16 offsets would differ
    # after the Hebrew letters, the umlauts and the emoji.
    second = text.index("Ünïcödé")
    assert (second, text.index("two.") + len("two.")) in spans
    third = text.index("Third")
    assert (third, third + len("Third one!")) in spans
    assert len(text[:third].encode("utf-8")) != third
    assert len(text[:third].encode("utf-16-le")) // 2 != third


# Report-like text: words from several scripts (astral characters too), sentence ends,
# quotes, and every kind of line break and blank a report may hold.
WORDS = st.sampled_from(
    ["Hamas", "released", "13", "hostages", "Mr.", "U.S.", "e.g.", "שלום", "Ünïcödé", "🙂",
     "\U0001d518\U0001d52b\U0001d526", "'quoted'", '"said"', "(aside)", "...", "…", "Nov 9",
     "date 2023-11-28"]
)  # fmt: skip
SEPARATORS = st.sampled_from(
    [" ", " ", " ", ". ", "! ", "? ", ".\n", "\n\n", "\r\n", "\r", "\t", "\u2028",
     "\u2029", "\x85", "\x0b", "\x0c", "\xa0", "\u3000", ", ", ".\" "]
)  # fmt: skip
REPORTS = st.lists(st.tuples(WORDS, SEPARATORS), max_size=60).map(
    lambda pairs: "".join(word + separator for word, separator in pairs)
)
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300)


@given(st.one_of(REPORTS, ANY_TEXT))
@settings(max_examples=300, deadline=None)
def test_sentences_tile_the_text_in_order(text):
    sentences = segment(text)
    # Numbered 0..n-1 in reading order.
    assert [s.n for s in sentences] == list(range(len(sentences)))
    # Each a non-empty span inside the text, beginning and ending on a non-blank character.
    for s in sentences:
        assert 0 <= s.start < s.end <= len(text)
        assert not text[s.start].isspace() and not text[s.end - 1].isspace()
    # Ordered and non-overlapping.
    assert all(a.end <= b.start for a, b in itertools.pairwise(sentences))
    # No character but a blank lies outside every sentence.
    covered = [False] * len(text)
    for s in sentences:
        covered[s.start : s.end] = [True] * (s.end - s.start)
    outside = [i for i, c in enumerate(text) if not covered[i] and not c.isspace()]
    assert outside == [], [text[i] for i in outside]


def test_the_first_line_may_declare_the_date(seed_text):
    assert declared_date(seed_text[SECOND]) == dt.date(2023, 11, 28)
    assert declared_date(seed_text[FIRST]) is None
    assert declared_date("date 2023-02-30 nonsense") is None
    assert declared_date("the date 2023-11-28") is None


def test_metadata_takes_the_declared_date_and_refuses_a_contradiction(seed_text):
    assert check_metadata(seed_text[SECOND], None)["published_on"] == dt.date(2023, 11, 28)
    with pytest.raises(InvalidInput) as refused:
        check_metadata(seed_text[SECOND], "2023-11-29")
    assert "2023-11-28" in refused.value.errors["published_on"][0]
    with pytest.raises(InvalidInput) as missing:
        check_metadata(seed_text[FIRST], None)
    assert "date YYYY-MM-DD" in missing.value.errors["published_on"][0]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_date_line_out_of_range_is_refused_as_published_on_is(day):
    text = f"date {day}\nHamas released 3 hostages."
    with pytest.raises(InvalidInput) as declared:
        check_metadata(text, None)
    with pytest.raises(InvalidInput) as sent:
        check_metadata("Hamas released 3 hostages.", day)
    assert set(declared.value.errors) == set(sent.value.errors) == {"published_on"}
    assert "must lie between" in declared.value.errors["published_on"][0]


def test_metadata_problems_are_reported_together(seed_text):
    with pytest.raises(InvalidInput) as refused:
        check_metadata(seed_text[FIRST], "28/11/2023", title="", url="ftp://example.org/x")
    assert set(refused.value.errors) == {"published_on", "title", "url"}


@pytest.mark.parametrize(
    ("text", "field_message"),
    [
        ("", "empty"),
        ("   \n\t", "empty"),
        ("nul \x00 inside", "NUL"),
        ("lone \ud800 surrogate", "Unicode"),
        (b"bytes", "string"),
    ],
)
def test_texts_that_cannot_be_stored_are_refused(text, field_message):
    with pytest.raises(InvalidInput) as refused:
        check_text(text)
    assert field_message in refused.value.errors["text"][0]


def test_texts_over_ten_megabytes_are_refused():
    check_text("a" * MAX_SOURCE_BYTES)
    with pytest.raises(TooLarge):
        check_text("a" * (MAX_SOURCE_BYTES + 1))
    with pytest.raises(TooLarge):
        check_text("é" * (MAX_SOURCE_BYTES // 2 + 1))
