"""A long paragraph given to pysbd in bounded pieces, so that splitting it into sentences takes
time in proportion to its length, with the sentences pysbd finds in the paragraph whole; a very
long one is cut in several processes at once, with the same sentences."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor

import pysbd
from pysbd.utils import TextSpan

# pysbd's work on one paragraph grows with the square of its length (every abbreviation it
# meets is replaced throughout the paragraph). A long paragraph is given to it in bounded
# pieces, each cut where a sentence may end (PIECE_CUT) past the next multiple of PIECE
# characters from the line's start that lies PIECE or more ahead. A piece's sentence ends are
# kept only where CONTEXT characters of the piece follow them, so every end is decided with
# the text after it in view, and the next piece starts at the first sentence not kept:
# pysbd's rules look a few words ahead. A piece is never cut inside a quotation, parenthesis
# or bracket (pysbd keeps what they enclose whole, however long): it grows until they close.
# tests/unit/test_sentence_pieces.py shows the pieces change no sentence of the seeds, the
# fixtures and generated paragraphs, quotations of thousands of characters included. A piece
# holding no end to keep grows (doubling) up to MAX_PIECE; past that (a run with no sentence
# end, or a quotation left open, which no report holds) it is cut at the last sentence end or
# blank, so the work stays linear in the text whatever its shape.
PIECE = 4_000
CONTEXT = 500
MAX_PIECE = 16_000
PIECE_CUT = re.compile(r"[.!?\u2026][\"'\u2019\u201d)\]]*\s+")
BLANK = re.compile(r"\s+")
# A line at least this long is cut in several processes at once, when there are cores for
# them: below it, starting the processes costs more than they save.
PARALLEL = 200_000
# The smallest chunk of a line a process takes (see spans_in_processes): under a second's work.
LEAST_CHUNK = 100_000
# How far past the start of the next chunk a process goes on cutting: its pieces meet the next
# chunk's there, most often at the second piece past that start (see _spliced).
OVERRUN = 2 * (PIECE + CONTEXT)

Span = tuple[int, int]
# Where the pieces stand: the next piece's start, and the size it is first tried at. The
# pieces from a state on depend on the state alone, which is what lets processes splice.
State = tuple[int, int]
Step = tuple[State, list[Span]]


class Segmenter(pysbd.Segmenter):
    """pysbd, with each sentence's offsets found by plain string search.

    pysbd finds them with a regular expression compiled for each sentence, a large part of
    the time of a long paragraph, which also pushed its own rules' expressions out of Python's
    cache. This search finds the very same offsets (tests/unit/test_sentence_pieces.py
    compares them): the first match of the sentence and the blanks after it that ends past the
    previous sentence, the matches taken one after another from the text's start.
    """

    def __init__(self) -> None:
        super().__init__(language="en", clean=False, char_span=True)

    def sentences_with_char_spans(self, sentences: Sequence[str]) -> list[TextSpan]:
        text = self.original_text
        found: list[TextSpan] = []
        prior = 0
        for sentence in sentences:
            span = _found(text, sentence, prior)
            if span is not None:
                found.append(span)
                prior = span.end
        return found


def _found(text: str, sentence: str, prior: int) -> TextSpan | None:
    """pysbd's span of a sentence: where `sentence` and the blanks after it first match, past
    `prior`, scanning matches from the text's start without overlap."""
    if not sentence:  # pysbd gives none; an empty match is left to its own expression
        match = next((m for m in re.finditer(r"\s*", text) if m.end() > prior), None)
        return TextSpan(match.group(), *match.span()) if match else None
    position = 0
    while (start := text.find(sentence, position)) >= 0:
        end = start + len(sentence)
        while end < len(text) and text[end].isspace():
            end += 1
        if end > prior:
            return TextSpan(text[start:end], start, end)
        position = end
    return None


def spans(line: str, segmenter: pysbd.Segmenter) -> Iterator[Span]:
    """pysbd's spans of a line (start, end; an end includes the blanks after it), worked out
    in bounded pieces; a line of up to PIECE + CONTEXT characters is one piece."""
    for _, found in _steps(line, segmenter, (0, PIECE)):
        yield from found


def spans_in_processes(line: str, pool: Executor, processes: int) -> Iterator[Span]:
    """The same spans as spans(line), cut in chunks by `processes` processes at once: this
    one and the pool's (`processes - 1` of them).

    This process takes chunks from the line's start and the pool's from its end, each a share
    of what is left and none smaller than LEAST_CHUNK, until none is left: the last are small,
    so all finish together however late the pool's processes start and however fast each goes.
    """
    left = [0, len(line)]  # [start, end) of what no process has taken yet
    runs: list[tuple[int, tuple[list[Step], State | None]]] = []
    taking = threading.Lock()

    def take(front: bool) -> tuple[int, int] | None:
        with taking:
            start, end = left
            if start >= end:
                return None
            size = max(LEAST_CHUNK, (end - start) // (2 * processes))
            at = _chunk_start(line, start + size if front else end - size)
            if not start < at < end:  # no place to cut in what is left: take it all
                at = end if front else start
            left[:] = [at, end] if front else [start, at]
            return (start, at) if front else (at, end)

    def cut(front: bool, run: Callable[..., tuple[list[Step], State | None]]) -> None:
        while (chunk := take(front)) is not None:
            start, end = chunk
            found = run(line, (start, PIECE), end + OVERRUN)
            with taking:
                runs.append((start, found))

    def pooled(*args: object) -> tuple[list[Step], State | None]:
        return pool.submit(_run, *args).result()

    with ThreadPoolExecutor(processes - 1) as feeders:
        fed = [feeders.submit(cut, False, pooled) for _ in range(processes - 1)]
        cut(True, _run)
        for feeder in fed:
            feeder.result()  # a chunk pysbd failed on fails the whole
    yield from _spliced(line, [found for _, found in sorted(runs, key=lambda run: run[0])])


def _run(line: str, state: State, until: int) -> tuple[list[Step], State | None]:
    """In a process: the steps from `state` until one starts at or past `until`, and the state
    they stop at (None at the line's end)."""
    steps, taken = [], _steps(line, Segmenter(), state, until)
    while True:
        try:
            steps.append(next(taken))
        except StopIteration as stopped:
            return steps, stopped.value


def _spliced(line: str, runs: list[tuple[list[Step], State | None]]) -> Iterator[Span]:
    """The spans of the runs' steps, each run followed until it reaches a state a later run
    has been in, and continued from there by that run: from one state on, the steps are the
    same whoever takes them. A run that meets no later one is continued here, one piece after
    another, until it does or the line ends, so the spans are always those of spans(line)."""
    later = {
        state: (j, i)
        for j, (steps, _) in enumerate(runs)
        if j > 0
        for i, (state, _) in enumerate(steps)
    }
    j, i = 0, 0
    while True:
        steps, stop = runs[j]
        jumped = False
        for state, found in steps[i:]:
            met = later.get(state)
            if met is not None and met[0] > j:
                j, i = met
                jumped = True
                break
            yield from found
        if jumped:
            continue
        if stop is None:
            return
        for state, found in _steps(line, Segmenter(), stop):
            met = later.get(state)
            if met is not None and met[0] > j:
                j, i = met
                break
            yield from found
        else:
            return


def _chunk_start(line: str, at: int) -> int:
    """Where a process's chunk starts: after the first place a sentence may end past `at`."""
    found = PIECE_CUT.search(line, at)
    return found.end() if found else at


def _steps(
    line: str, segmenter: pysbd.Segmenter, state: State, until: int | None = None
) -> Generator[Step, None, State | None]:
    """The pieces from a state on, each as the state it starts from and the spans it keeps,
    until one would start at or past `until`: that state is returned (None at the line's end)."""
    start, size = state
    piece, context, most = PIECE, CONTEXT, MAX_PIECE
    until = len(line) if until is None else until
    while len(line) - start > piece + context:
        if start >= until:
            return start, size
        state = (start, size)
        end, grows = _cut(line, start, size, most)
        spans = segmenter.segment(line[start:end])
        kept = [span for span in spans[:-1] if span.end <= end - start - context]
        if kept and end < len(line):
            yield state, [(start + span.start, start + span.end) for span in kept]
            start, size = start + kept[-1].end, piece
        elif grows and end < len(line):
            yield state, []  # one sentence so far: look past this cut
            size = max(2 * size, end - start)
        else:  # the line's last piece, or a run that no sentence end cuts sooner
            yield state, [(start + span.start, start + span.end) for span in spans]
            start, size = end, piece
    if start >= until and start < len(line):
        return start, size
    if start < len(line):
        spans = segmenter.segment(line[start:])
        yield (start, size), [(start + span.start, start + span.end) for span in spans]
    return None


def _cut(line: str, start: int, size: int, most: int) -> tuple[int, bool]:
    """Where a piece from `start` ends, and whether a larger size could end it later: after
    the first sentence end past the multiple of PIECE at or after `start + size` with no
    quotation or parenthesis open, else after the last such within `most`, else after the
    last sentence end or blank. Pieces that start apart end at the same place, so pieces taken
    from different starts soon meet."""
    limit = min(len(line), start + most)
    target = -(-(start + size) // PIECE) * PIECE
    if target < limit:
        for found in PIECE_CUT.finditer(line, target, limit):
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
