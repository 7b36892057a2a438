"""Sources and their sentences: hashing, the date line, and segmentation with pysbd."""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

import pysbd

from ledger import pieces
from ledger.errors import InvalidInput, Problems, TooLarge
from ledger.records import FIRST_DAY, LAST_DAY, Sentence

MAX_SOURCE_BYTES = 10 * 1024 * 1024
MAX_META_LENGTH = 500
NOT_UNICODE = "is not valid Unicode (it holds a lone surrogate); send UTF-8 text."

# A report may declare its own date on its first line: "date 2023-11-28", possibly followed
# by the first sentence on the same line, as in the second seed report.
DATE_LINE = re.compile(r"\A[ \t\ufeff]*date[ \t]+(\d{4}-\d{2}-\d{2})\b[ \t]*")
# Paragraph breaks: a sentence never runs across one.
LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029")
SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u2019\u201d)\]]*\Z")
LINK_LINE = re.compile(r"\A(Related|Read more|READ MORE|See also)\b[: ]")
URL = re.compile(r"\Ahttps?://[^\s/$.?#][^\s]*\Z", re.IGNORECASE)
# What a source is sent with besides its text.
SOURCE_FIELDS = ("published_on", "title", "publisher", "url")


def source_id(sha256: str) -> str:
    """The public id of a source: a prefix of its SHA-256, so the same text is one source."""
    return f"src_{sha256[:16]}"


def sha256_of(text: str) -> str:
    """The SHA-256 of the text's UTF-8 bytes, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def declared_date(text: str) -> dt.date | None:
    """The publication date a `date YYYY-MM-DD` first line declares, if any."""
    match = DATE_LINE.match(text)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def encodable(value: str) -> bool:
    """Whether a string can be stored as UTF-8; JSON's \\ud800 escapes can make one that can't."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(text: object) -> str:
    """Refuse texts that cannot be stored byte-for-byte on every engine."""
    if not isinstance(text, str):
        raise InvalidInput.one("text", "must be a string of UTF-8 text.")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInput.one("text", NOT_UNICODE) from None
    if size > MAX_SOURCE_BYTES:
        raise TooLarge(
            f"The text is {size:,} bytes; a source may hold at most {MAX_SOURCE_BYTES:,} bytes "
            "(10 MB). Split the report or store an excerpt."
        )
    if not text.strip():
        raise InvalidInput.one("text", "is empty; send the report's text.")
    if "\x00" in text:
        raise InvalidInput.one("text", "contains a NUL character, which no report holds.")
    return text


def check_metadata(
    text: str,
    published_on: object,
    title: object = None,
    publisher: object = None,
    url: object = None,
) -> dict[str, object]:
    """Validate a source's metadata against its text; every problem is reported at once."""
    problems = Problems()
    declared = declared_date(text)
    day = _parse_day(published_on, "published_on", problems) if published_on is not None else None
    if day is None and published_on is None:
        day = declared
        if declared is None:
            problems.add(
                "published_on",
                "is required unless the text starts with a 'date YYYY-MM-DD' line.",
            )
        else:  # the check a published_on sent in JSON gets
            day = _in_range(declared, "published_on", problems, "the text's first line")
    elif day is not None and declared is not None and day != declared:
        problems.add(
            "published_on",
            f"is {day.isoformat()} but the text's first line declares {declared.isoformat()}.",
        )
    for name, value in (("title", title), ("publisher", publisher), ("url", url)):
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            problems.add(name, "must be a non-empty string or left out.")
        elif len(value) > MAX_META_LENGTH:
            problems.add(name, f"is longer than {MAX_META_LENGTH} characters.")
        elif any(ch in value for ch in "\r\n\x00"):
            problems.add(name, "must be a single line.")
        elif not encodable(value):
            problems.add(name, NOT_UNICODE)
    if isinstance(url, str) and url.strip() and not URL.match(url):
        problems.add("url", "must be an http:// or https:// address.")
    problems.raise_if_any()
    return {"published_on": day, "title": title, "publisher": publisher, "url": url}


def published_day(value: object) -> dt.date:
    """A publication date (a date, or YYYY-MM-DD), checked as a source's published_on is."""
    problems = Problems()
    day = _parse_day(value, "published_on", problems)
    problems.raise_if_any()
    assert day is not None
    return day


def _parse_day(value: object, name: str, problems: Problems) -> dt.date | None:
    if isinstance(value, dt.datetime):
        problems.add(name, "must be a date (YYYY-MM-DD), not a moment.")
        return None
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            problems.add(name, f"must be a date written YYYY-MM-DD, not {value!r}.")
            return None
    else:
        problems.add(name, "must be a date written YYYY-MM-DD.")
        return None
    return _in_range(day, name, problems)


def _in_range(
    day: dt.date, name: str, problems: Problems, declared_by: str | None = None
) -> dt.date | None:
    """The day, if the ledger's dates reach it (else a problem, naming where it was given)."""
    if FIRST_DAY <= day <= LAST_DAY:
        return day
    given = f"is {day.isoformat()}, as {declared_by} declares; it " if declared_by else ""
    problems.add(name, f"{given}must lie between {FIRST_DAY} and {LAST_DAY}.")
    return None


@dataclass(frozen=True)
class Split:
    """A report's text, checked, with its sentences: None when the text is stored already."""

    text: str
    sha256: str
    sentences: tuple[Sentence, ...] | None


def segment(text: str, processes: int = 1) -> tuple[Sentence, ...]:
    """Split a text into sentences with exact offsets: text[start:end] == sentence.text.

    A paragraph of pieces.PARALLEL characters or more is cut by `processes` processes at
    once (this one among them), with the same sentences.
    """
    segmenter = new_segmenter()
    longest = max((end - start for start, end in _lines(text, 0)), default=0)
    if processes < 2 or longest < pieces.PARALLEL:
        return sentences_of(text, line_spans(text, partial(pieces.spans, segmenter=segmenter)))
    with process_pool(processes - 1) as pool:

        def cut(line: str) -> Iterable[tuple[int, int]]:
            if len(line) >= pieces.PARALLEL:
                return pieces.spans_in_processes(line, pool, processes)
            return pieces.spans(line, segmenter)

        return sentences_of(text, line_spans(text, cut))


def new_segmenter() -> pysbd.Segmenter:
    return pieces.Segmenter()


def process_pool(count: int) -> ProcessPoolExecutor:
    """A pool of `count` spawned processes (not forked, so a caller's threads and open
    connections never reach them), each exiting with this one."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(count, mp_context=context, initializer=_exit_with_parent)


def sentences_of(text: str, spans: Iterable[tuple[int, int, str]]) -> tuple[Sentence, ...]:
    return tuple(
        Sentence(n=n, start=start, end=end, text=text[start:end], kind=kind)
        for n, (start, end, kind) in enumerate(spans)
    )


def line_spans(
    text: str, cut: Callable[[str], Iterable[tuple[int, int]]]
) -> Iterator[tuple[int, int, str]]:
    offset = 0
    declared = DATE_LINE.match(text)
    if declared and declared_date(text):
        start = len(text) - len(text.lstrip(" \t\ufeff"))
        end = declared.start(1) + len(declared.group(1))
        yield start, end, "dateline"
        offset = declared.end()
    for line_start, line_end in _lines(text, offset):
        line = text[line_start:line_end]
        found = list(_trimmed(line, cut(line)))
        for start, end in found:
            kind = "sentence"
            if len(found) == 1:
                piece = line[start:end]
                if LINK_LINE.match(piece):
                    kind = "link"
                elif not SENTENCE_END.search(piece):
                    kind = "heading"
            yield line_start + start, line_start + end, kind


def _lines(text: str, offset: int) -> Iterator[tuple[int, int]]:
    position = offset
    for brk in LINE_BREAK.finditer(text, offset):
        if text[position : brk.start()].strip():
            yield position, brk.start()
        position = brk.end()
    if text[position:].strip():
        yield position, len(text)


def _trimmed(line: str, spans: Iterable[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """pysbd's spans of a line, trimmed of surrounding blanks; text it skips becomes a span of
    its own."""
    covered = 0
    for span_start, span_end in spans:
        if span_start > covered and line[covered:span_start].strip():
            yield _strip(line, covered, span_start)
        start, end = _strip(line, max(span_start, covered), span_end)
        if end > start:
            yield start, end
        covered = max(covered, span_end)
    if line[covered:].strip():
        yield _strip(line, covered, len(line))


def _strip(line: str, start: int, end: int) -> tuple[int, int]:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    return start, end


def available_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _exit_with_parent() -> None:
    """In a worker: exit the moment the process that started it is gone.

    A pool's workers wait on a queue whose writing end they hold too, so a parent killed
    outright (SIGTERM, SIGKILL) would leave them waiting forever.
    """
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_after, args=(parent,), daemon=True).start()


def _exit_after(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent's end of the sentinel pipe closes: it has exited
    os._exit(1)
