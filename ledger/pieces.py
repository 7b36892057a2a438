"""A long paragraph given to pysbd in bounded pieces, so that splitting it into sentences takes
time in proportion to its length, with the sentences pysbd finds in the paragraph whole."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pysbd

# pysbd's work on one paragraph grows with the square of its length (every abbreviation it
# meets is replaced throughout the paragraph): 108 KB took 5 s, 1 MB 464 s. A long paragraph is
# given to it in bounded pieces, each cut where a sentence may end (PIECE_CUT) once it holds
# PIECE characters. A piece's sentence ends are kept only where CONTEXT characters of the piece
# follow them, so every end is decided with the text after it in view, and the next piece
# starts at the first sentence not kept: pysbd's rules look a few words ahead. A piece is never
# cut inside a quotation, parenthesis or bracket (pysbd keeps what they enclose whole, however
# long): it grows until they close. tests/unit/test_sentence_pieces.py shows the pieces change
# no sentence of the seeds, the fixtures and generated paragraphs, quotations of thousands of
# characters included. A piece holding no end to keep grows (doubling) up to MAX_PIECE; past
# that (a run with no sentence end, or a quotation left open, which no report holds) it is cut
# at the last sentence end or blank, so the work stays linear in the text whatever its shape.
PIECE = 1_500
CONTEXT = 500
MAX_PIECE = 8_000
PIECE_CUT = re.compile(r"[.!?\u2026][\"'\u2019\u201d)\]]*\s+")
BLANK = re.compile(r"\s+")


def spans(line: str, segmenter: pysbd.Segmenter) -> Iterator[tuple[int, int]]:
    """pysbd's spans of a line (start, end; an end includes the blanks after it), worked out
    in bounded pieces; a line of up to PIECE + CONTEXT characters is one piece."""
    piece, context, most = PIECE, CONTEXT, MAX_PIECE
    start, size = 0, piece
    while len(line) - start > piece + context:
        end, grows = _cut(line, start, size, most)
        spans = segmenter.segment(line[start:end])
        kept = [span for span in spans[:-1] if span.end <= end - start - context]
        if kept and end < len(line):
            yield from ((start + span.start, start + span.end) for span in kept)
            start, size = start + kept[-1].end, piece
        elif grows and end < len(line):
            size = max(2 * size, end - start)  # one sentence so far: look past this cut
        else:  # the line's last piece, or a run that no sentence end cuts sooner
            yield from ((start + span.start, start + span.end) for span in spans)
            start, size = end, piece
    if start < len(line):
        spans = segmenter.segment(line[start:])
        yield from ((start + span.start, start + span.end) for span in spans)


def _cut(line: str, start: int, size: int, most: int) -> tuple[int, bool]:
    """Where a piece from `start` ends, and whether a larger size could end it later: after
    the first sentence end past `size` characters with no quotation or parenthesis open,
    else after the last such within `most`, else after the last sentence end or blank."""
    limit = min(len(line), start + most)
    if start + size < limit:
        for found in PIECE_CUT.finditer(line, start + size, limit):
            if _closed(line, start, found.end()):
                return found.end(), True
    if limit == len(line):
        return limit, False
    ends = [match.end() for match in PIECE_CUT.finditer(line, start + 1, limit)]
    closed = [end for end in ends if _closed(line, start, end)]
    blanks = [match.end() for match in BLANK.finditer(line, start + 1, limit)][-1:]
    return (closed or ends or blanks or [limit])[-1], False


def _closed(line: str, start: int, end: int) -> bool:
    """Whether every quotation, parenthesis and bracket opened in line[start:end] is closed
    there (straight double quotes in pairs)."""
    text = line[start:end]
    return (
        text.count('"') % 2 == 0
        and text.count("\u201c") == text.count("\u201d")
        and text.count("(") == text.count(")")
        and text.count("[") == text.count("]")
        and text.count("\u00ab") == text.count("\u00bb")
    )
