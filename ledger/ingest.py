"""Many reports at once (`Ledger.add_sources`, `exchange-ledger ingest`): each checked as POST
/v1/sources checks one, then segmented over a bounded pool of processes."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ledger import pieces
from ledger.errors import InvalidInput, LedgerError, Problems, TooLarge
from ledger.records import Sentence
from ledger.sources import (
    SOURCE_FIELDS,
    check_metadata,
    check_text,
    declared_date,
    line_spans,
    new_segmenter,
    process_pool,
    sentences_of,
    sha256_of,
)

CHUNK = 32  # texts per task sent to a segmenting process
BATCH = 500  # reports stored per transaction


@dataclass(frozen=True)
class Report:
    """A report checked for storing, labelled by where it came from (a file, or `item 3`)."""

    label: str
    sha256: str
    meta: dict[str, object]  # checked, as check_metadata returns it; empty with problems
    # What is wrong with its metadata: it matters only if the text is not stored already.
    problems: dict[str, list[str]] = field(default_factory=dict)
    path: Path | None = None
    # None for a file: it is read again when stored, so an archive need not fit in memory.
    text: str | None = None

    def read(self) -> str:
        """The report's text; a file must still be what was checked."""
        if self.text is not None:
            return self.text
        assert self.path is not None
        try:
            text = read_report(self.path)
        except InvalidInput as error:
            raise LedgerError(f"{self.label}: {error.detail}") from None
        if sha256_of(text) != self.sha256:
            raise LedgerError(
                f"{self.label}: the file changed while it was being ingested; run the command "
                "again (reports stored already are found, not stored twice)."
            )
        return text


@dataclass(frozen=True)
class Ingest:
    """What storing many reports did: each report's source, in input order, and the refused."""

    stored: tuple[tuple[str, str, bool], ...]  # (label, source id, created)
    sentences: int  # in the sources created
    refused: dict[str, dict[str, list[str]]]  # label -> field -> messages
    processes: int  # that segmented them (1: this one, no pool)

    @property
    def added(self) -> int:
        return sum(1 for *_, created in self.stored if created)

    @property
    def present(self) -> int:
        """Reports stored before, or repeated in the input."""
        return len(self.stored) - self.added


class ReportsRefused(InvalidInput):
    """Reports of a batch failed their checks, so none was stored; errors name each one."""

    def __init__(self, refused: dict[str, dict[str, list[str]]], of: int) -> None:
        super().__init__(
            {
                f"{label}: {name}": messages
                for label, errors in refused.items()
                for name, messages in errors.items()
            },
            detail=f"{len(refused)} of {of} reports refused; nothing was written.",
        )
        self.refused = refused


def read_report(path: Path) -> str:
    """A report file's text, exactly as its UTF-8 bytes say."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput.one(
            "text",
            f"is not UTF-8 (byte {error.object[error.start]:#04x} at offset {error.start}); "
            "save the report as UTF-8.",
        ) from None
    except OSError as error:
        raise InvalidInput.one("text", f"could not be read: {error.strerror or error}.") from None


def check_report(item: object, label: str, published_on: dt.date | None = None) -> Report:
    """Check one report as POST /v1/sources checks a source, every problem at once.

    An item is a text, a Path to a UTF-8 file, or either with a mapping of its metadata
    (published_on, title, publisher, url). `published_on` dates a report that neither declares
    a date on its first line nor is given one. A text that cannot be a source raises
    InvalidInput; problems of the metadata are kept in the report's `problems`, since a text
    stored already needs none (POST answers it with the stored source, whatever it was sent).
    """
    body, meta = item if isinstance(item, tuple) and len(item) == 2 else (item, {})
    problems = Problems()
    if not isinstance(meta, Mapping):
        problems.add("metadata", f"must map {', '.join(SOURCE_FIELDS)} to their values.")
        meta = {}
    for name in sorted(str(key) for key in meta if key not in SOURCE_FIELDS):
        problems.add(name, f"is not a field of a source ({', '.join(SOURCE_FIELDS)}).")
    path = body if isinstance(body, Path) else None
    try:
        text = check_text(read_report(path) if path is not None else body)
    except InvalidInput as error:
        _merge(problems, error.errors)
        raise InvalidInput(problems.errors) from None
    except TooLarge as error:
        _merge(problems, {"text": [error.detail]})
        raise InvalidInput(problems.errors) from None
    given = {name: meta.get(name) for name in SOURCE_FIELDS}
    if given["published_on"] is None and declared_date(text) is None:
        given["published_on"] = published_on
    checked: dict[str, object] = {}
    try:
        checked = check_metadata(text, **given)
    except InvalidInput as error:
        _merge(problems, error.errors)
    return Report(
        label,
        sha256_of(text),
        {} if problems else checked,
        problems.errors,
        path,
        None if path is not None else text,
    )


def _merge(problems: Problems, errors: Mapping[str, list[str]]) -> None:
    for name, messages in errors.items():
        for message in messages:
            problems.add(name, message)


class SegmentationFailed(LedgerError):
    """pysbd could not split a text; `position` is the text's place in the input."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"pysbd could not split the text into sentences: {reason}")
        self.position = position


class SegmenterPool:
    """segment() over many texts, spread over a bounded pool of worker processes.

    pysbd is pure Python, so only processes segment in parallel. With one process (one core)
    nothing is started and texts are segmented here. Workers are spawned, not forked, so a
    caller's threads and open connections never reach them; leaving the `with` block cancels
    what is pending and waits for every worker to exit.
    """

    def __init__(self, processes: int = 1, ahead: int = 4 * CHUNK) -> None:
        self.processes = max(1, processes)
        # Texts in flight: enough for the processes to go on segmenting while the caller
        # stores what they found, few enough to bound memory.
        self.ahead = max(ahead, self.processes * CHUNK)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> SegmenterPool:
        if self.processes > 1:
            self._pool = process_pool(self.processes)
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def segment(self, texts: Iterable[str]) -> Iterator[tuple[str, tuple[Sentence, ...]]]:
        """Each text with its sentences, in order; the same as segment(text)."""
        position = 0
        if self._pool is None:
            for chunk in _chunks(texts, 1):
                position = yield from _rebuilt(chunk, _spans_of(chunk), position)
            return
        pending: deque[tuple[list[str], Future[list[_Spans]]]] = deque()
        for chunk in _chunks(texts, CHUNK):
            pending.append((chunk, self._pool.submit(_spans_of, chunk)))
            if len(pending) * CHUNK >= self.ahead:
                done, future = pending.popleft()
                position = yield from _rebuilt(done, future.result(), position)
        while pending:
            done, future = pending.popleft()
            position = yield from _rebuilt(done, future.result(), position)


# A text's spans (start, end, kind), or why pysbd failed on it: small to send between processes.
_Spans = list[tuple[int, int, str]] | str


def _spans_of(texts: list[str]) -> list[_Spans]:
    """In a worker: the spans of each text of a chunk."""
    segmenter = new_segmenter()
    found: list[_Spans] = []
    for text in texts:
        try:
            found.append(list(line_spans(text, partial(pieces.spans, segmenter=segmenter))))
        except Exception as error:  # a pysbd bug on one text must name that text
            found.append(f"{type(error).__name__}: {error}")
    return found


def _rebuilt(
    chunk: list[str], spans: list[_Spans], position: int
) -> Generator[tuple[str, tuple[Sentence, ...]], None, int]:
    for text, found in zip(chunk, spans, strict=True):
        if isinstance(found, str):
            raise SegmentationFailed(position, found)
        yield text, sentences_of(text, found)
        position += 1
    return position


def _chunks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(texts)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
