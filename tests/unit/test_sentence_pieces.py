"""A long paragraph is cut into sentences in bounded pieces (ledger.pieces).

pysbd's work on one paragraph grows with the square of its length, so a long paragraph is given
to it in pieces. These tests show that the pieces change no sentence (of the seed reports, of
the fixtures, and of generated paragraphs, with pieces far smaller than the product's, so that
every kind of cut is made many times), and that pysbd is never given more than a bounded piece,
whatever the text's shape.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pysbd
import pytest

from ledger import pieces, sources
from ledger.sources import LINE_BREAK, segment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# (piece, context, most): the product's, and smaller ones that cut every paragraph many times.
SIZES = [
    (pieces.PIECE, pieces.CONTEXT, pieces.MAX_PIECE),
    (600, 300, pieces.MAX_PIECE),
    (300, 150, pieces.MAX_PIECE),
]


def _pieces(monkeypatch: pytest.MonkeyPatch, piece: int, context: int, most: int) -> None:
    monkeypatch.setattr(pieces, "PIECE", piece)
    monkeypatch.setattr(pieces, "CONTEXT", context)
    monkeypatch.setattr(pieces, "MAX_PIECE", most)


def _whole(monkeypatch: pytest.MonkeyPatch, text: str) -> list[tuple[int, int, str]]:
    """The sentences pysbd finds given each paragraph whole."""
    with monkeypatch.context() as patch:
        _pieces(patch, len(text) + 1, 0, len(text) + 1)
        return _shown(segment(text))


def _shown(sentences: tuple[sources.Sentence, ...]) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.kind) for s in sentences]


def _texts() -> list[str]:
    seeds = Path(__file__).resolve().parents[2] / "seed"
    paths = sorted(seeds.glob("*.txt")) + sorted(FIXTURES.glob("*/*.txt"))
    assert len(paths) >= 20  # the seeds and both fixture exchanges
    return [path.read_text(encoding="utf-8") for path in paths]


def _reported() -> list[str]:
    """Every sentence of the seeds and fixtures."""
    return [s.text for text in _texts() for s in segment(text) if s.kind == "sentence"]


@pytest.mark.parametrize("sizes", SIZES[1:], ids=["600", "300"])
def test_no_sentence_of_the_seeds_or_fixtures_changes(monkeypatch, sizes):
    texts = _texts()
    # Every paragraph of them in one line, too: 16 KB that the product's pieces cut as well.
    texts.append(" ".join(p for t in texts for p in LINE_BREAK.split(t) if p.strip()))
    for text in texts:
        whole = _whole(monkeypatch, text)
        with monkeypatch.context() as patch:
            _pieces(patch, *sizes)
            assert _shown(segment(text)) == whole


@pytest.mark.parametrize("sizes", SIZES, ids=["product", "600", "300"])
def test_reported_sentences_in_any_order_keep_their_ends(monkeypatch, sizes):
    reported = _reported()
    rng = random.Random(sizes[0])
    for _ in range(4):
        line = " ".join(rng.sample(reported, len(reported)))
        whole = _whole(monkeypatch, line)
        with monkeypatch.context() as patch:
            _pieces(patch, *sizes)
            assert _shown(segment(line)) == whole


# Generated reporting: abbreviations, decimals, ellipses, quotations of one or two sentences,
# asides in parentheses, questions and exclamations: what pysbd's rules look at around an end.
WORDS = " ".join(
    [
        "the hostages were freed on Friday and taken to hospital by the Red Cross after talks in",
        "Doha with mediators from Qatar and Egypt while the prisoners were bussed to Ramallah",
    ]
).split()
ABBREVIATIONS = ["Mr.", "Dr.", "U.S.", "No.", "St.", "Gen.", "a.m.", "p.m.", "Jan.", "i.e.",
                 "e.g.", "etc.", "Inc.", "Lt. Col.", "U.N.", "approx."]  # fmt: skip


def _sentence(rng: random.Random, depth: int = 0) -> str:
    words: list[str] = []
    for _ in range(rng.randint(3, 24)):
        roll = rng.random()
        if roll < 0.08:
            words.append(rng.choice(ABBREVIATIONS))
        elif roll < 0.12:
            words.append(f"{rng.randint(1, 999)}.{rng.randint(0, 99)}")
        elif roll < 0.14 and words:
            words[-1] += "..."
        else:
            words.append(rng.choice(WORDS))
    text = " ".join(words).capitalize() + rng.choice(".....!?")
    roll = rng.random()
    if depth:
        return text
    if roll < 0.1:
        return f'"{text}" a spokesman said.'
    if roll < 0.15:
        return f"\u201c{text} {_sentence(rng, 1)}\u201d she said."
    if roll < 0.2:
        return f"{text[:-1]} ({_sentence(rng, 1)})."
    return text


@pytest.mark.parametrize("sizes", SIZES[1:], ids=["600", "300"])
def test_generated_paragraphs_keep_their_sentences(monkeypatch, sizes):
    rng = random.Random(2023)
    for _ in range(60):
        line = " ".join(_sentence(rng) for _ in range(rng.randint(8, 40)))
        whole = _whole(monkeypatch, line)
        with monkeypatch.context() as patch:
            _pieces(patch, *sizes)
            assert _shown(segment(line)) == whole, line


def _quotation(rng: random.Random) -> str:
    """A statement quoted whole, or an aside: 5 to 25 sentences between one pair of marks,
    far longer than a piece's CONTEXT."""
    inner = " ".join(_sentence(rng, 1) for _ in range(rng.randint(5, 25)))
    opening, closing = rng.choice([('"', '"'), ("\u201c", "\u201d"), ("(", ")")])
    return f"{opening}{inner}{closing} the statement said."


@pytest.mark.parametrize("sizes", SIZES, ids=["product", "600", "300"])
def test_long_quotations_are_never_cut(monkeypatch, sizes):
    rng = random.Random(1948)
    for _ in range(12):
        parts = [_sentence(rng) for _ in range(rng.randint(20, 60))]
        for _ in range(rng.randint(1, 3)):
            parts.insert(rng.randrange(len(parts)), _quotation(rng))
        line = " ".join(parts)
        whole = _whole(monkeypatch, line)
        with monkeypatch.context() as patch:
            _pieces(patch, *sizes)
            assert _shown(segment(line)) == whole, line


class _Counting(pysbd.Segmenter):
    """pysbd, noting how much text it is given at once."""

    given: list[int]

    def segment(self, text: str) -> list[pysbd.utils.TextSpan]:
        self.given.append(len(text))
        return super().segment(text)


SHAPES = {
    "reporting": lambda rng: " ".join(_sentence(rng) for _ in range(600)),
    "no sentence end": lambda rng: "word " * 20_000,
    "one abbreviation after another": lambda rng: "Mr. " * 6_000,
    "dots without blanks": lambda rng: "." * 100_000,
    "numbers as sentences": lambda rng: "1. 2. 3. " * 2_000,
    "questions": lambda rng: "Why? " * 10_000,
    "an unclosed quotation": lambda rng: '"' + " ".join(_sentence(rng) for _ in range(300)),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_pysbd_is_given_bounded_pieces_whatever_the_shape(monkeypatch, shape):
    counting = _Counting(language="en", clean=False, char_span=True)
    counting.given = []
    monkeypatch.setattr(sources, "new_segmenter", lambda: counting)
    text = SHAPES[shape](random.Random(1))
    sentences = segment(text)
    assert max(counting.given) <= pieces.MAX_PIECE
    # Linear: each character is given to pysbd a bounded number of times.
    assert sum(counting.given) <= 4 * len(text)
    assert all(text[s.start : s.end] == s.text for s in sentences)
    covered = "".join(s.text for s in sentences)
    assert "".join(covered.split()) == "".join(text.split())


# --- pysbd's offsets, found without a regular expression per sentence --------------------------


def _pysbd_spans(text: str) -> list[tuple[int, int, str]]:
    found = pysbd.Segmenter(language="en", clean=False, char_span=True).segment(text)
    return [(span.start, span.end, span.sent) for span in found]


def test_the_offsets_of_each_sentence_are_pysbds_own():
    rng = random.Random(1967)
    texts = [p for t in _texts() for p in LINE_BREAK.split(t) if p.strip()]
    texts += [" ".join(_sentence(rng) for _ in range(rng.randint(3, 30))) for _ in range(40)]
    # A sentence told twice, or inside an earlier one: pysbd takes the first match that ends
    # past the sentence before, its matches taken one after another from the text's start.
    texts += [
        "Yes. Yes.  Yes. No. Yes.",
        "They said 10 were freed. 10 were freed. Then more.",
        "Freed. Freed.\u00a0 Freed. A Freed. Freed.",
        "a. a. a. a.",
        "  Lead. Tail.  ",
    ]
    segmenter = pieces.Segmenter()
    for text in texts:
        ours = [(span.start, span.end, span.sent) for span in segmenter.segment(text)]
        assert ours == _pysbd_spans(text), text


# --- a long paragraph cut by several processes at once ----------------------------------------


def _line(rng: random.Random, sentences: int) -> str:
    parts = [_sentence(rng) for _ in range(sentences)]
    for _ in range(sentences // 40):
        parts.insert(rng.randrange(len(parts)), _quotation(rng))
    return " ".join(parts)


@pytest.mark.parametrize("processes", [2, 3, 7])
def test_chunks_cut_at_once_are_spliced_into_the_same_sentences(monkeypatch, processes):
    # Small pieces and chunks, so a paragraph is cut in many chunks and spliced many times;
    # the chunks run on threads here (the processes' code is the same, below it runs in them).
    _pieces(monkeypatch, 300, 150, pieces.MAX_PIECE)
    monkeypatch.setattr(pieces, "LEAST_CHUNK", 3_000)
    monkeypatch.setattr(pieces, "OVERRUN", 2 * (300 + 150))
    rng = random.Random(processes)
    segmenter = pieces.Segmenter()
    with ThreadPoolExecutor(processes - 1) as pool:
        for _ in range(3):
            line = _line(rng, 400)
            alone = list(pieces.spans(line, segmenter))
            assert list(pieces.spans_in_processes(line, pool, processes)) == alone


def test_chunks_that_never_meet_are_continued_one_piece_after_another(monkeypatch):
    # No overrun: a chunk stops at the first piece past the next chunk's start, where the next
    # chunk's pieces are seldom; the spans still come out as one process cuts them.
    _pieces(monkeypatch, 300, 150, pieces.MAX_PIECE)
    monkeypatch.setattr(pieces, "LEAST_CHUNK", 3_000)
    monkeypatch.setattr(pieces, "OVERRUN", 0)
    line = _line(random.Random(5), 400)
    with ThreadPoolExecutor(2) as pool:
        spliced = list(pieces.spans_in_processes(line, pool, 3))
    assert spliced == list(pieces.spans(line, pieces.Segmenter()))


def test_a_long_paragraph_is_cut_by_processes_into_the_sentences_of_one():
    # The product's sizes and pool: a paragraph past PARALLEL, cut by this process and a
    # spawned one, gives the sentences one process gives.
    rng = random.Random(2025)
    line = _line(rng, 3_000)
    assert len(line) >= pieces.PARALLEL
    text = "date 2023-11-28 " + line
    assert segment(text, processes=2) == segment(text)
