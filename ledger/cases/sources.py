"""Storing reports and reading them back: a source is its text, byte for byte."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from ledger import ingest
from ledger import sources as texts
from ledger.cases.base import SYSTEM, LedgerBase
from ledger.errors import InvalidInput, LedgerError, NotFound
from ledger.records import ListedSource, Source
from ledger.storage.journal import as_hashed
from ledger.storage.unit import after


class Sources(LedgerBase):
    """Reports stored once each, with their sentences."""

    def split_source(self, text: object, **metadata: object) -> texts.Split:
        """A report checked and cut into sentences for add_source, before anything waits on it.

        Cutting a long report takes seconds of one core; the API does it before the write
        takes the writer lock, so no other write waits behind it. A text
        stored already is not cut again; one that is not has its metadata (add_source's)
        checked first, so a report refused for its date is refused before it is cut.
        """
        text = texts.check_text(text)
        sha256 = texts.sha256_of(text)
        with self.reading() as unit:
            stored = unit.records.source_by_sha256(sha256)
        if stored is not None:
            return texts.Split(text, sha256, None)
        texts.check_metadata(text, **metadata)
        return texts.Split(text, sha256, texts.segment(text, texts.available_cores()))

    def add_source(
        self,
        text: object,
        published_on: object = None,
        title: object = None,
        publisher: object = None,
        url: object = None,
        author: str = SYSTEM,
    ) -> tuple[Source, bool]:
        """Store a report byte-for-byte; the same text twice is one source (created=False).

        `text` may be a split_source() of it, whose sentences are then not worked out again.
        """
        meta = {"published_on": published_on, "title": title, "publisher": publisher, "url": url}
        split = text if isinstance(text, texts.Split) else self.split_source(text, **meta)
        with self.reading() as unit:
            stored = unit.records.source_by_sha256(split.sha256)
        if stored is not None:
            return stored, False
        checked = texts.check_metadata(split.text, **meta)
        sentences = split.sentences
        if sentences is None:  # split when the text was stored, which it is no longer here
            sentences = texts.segment(split.text, texts.available_cores())
        try:
            with self.writing() as unit, unit.session.begin_nested():
                # A savepoint: losing a race to the same text must not spoil an enclosing unit.
                at = unit.now()
                source = Source(
                    id=texts.source_id(split.sha256),
                    sha256=split.sha256,
                    text=split.text,
                    recorded_at=at,
                    sentences=sentences,
                    **checked,
                )
                unit.records.add_source(source, author)
                unit.journal.record(at, author, "source.add", source.id, written=as_hashed(source))
        except IntegrityError:
            # Another writer stored the same text first: theirs is the source.
            with self.reading() as unit:
                stored = unit.records.source_by_sha256(split.sha256)
            if stored is None:
                raise
            return stored, False
        return source, True

    def add_sources(
        self,
        reports: Iterable[object],
        author: str = SYSTEM,
        *,
        published_on: object = None,
        keep_going: bool = False,
        batch: int = ingest.BATCH,
        processes: int | None = None,
    ) -> ingest.Ingest:
        """Store many reports: checked as add_source checks one, segmented over a bounded pool
        of processes (`processes`, default: every core), stored `batch` to a transaction.

        A report is a text, a Path to a UTF-8 file, or either paired with a mapping of its
        metadata; `published_on` dates those that neither declare nor are given a date. The
        same text twice is one source, within the input and against the store. Every report
        is checked before the first write: bad ones raise ReportsRefused naming each
        (`<file or item n>: <field>`) and nothing is written, unless `keep_going`, which
        stores the rest and lists the refused. A failure after the checks (the database going
        away) keeps the batches committed before it; the same call again stores the rest.
        """
        checked, new, refused = self._checked_reports(reports, published_on)
        if refused and not keep_going:
            raise ingest.ReportsRefused(refused, of=len(checked) + len(refused))
        todo = list(new.values())
        wanted = processes or texts.available_cores()
        # A process pays for itself only with a chunk of work or more.
        processes = max(1, min(wanted, -(-len(todo) // ingest.CHUNK)))
        created, sentences = self._ingest(todo, author, batch, processes)
        outcomes = tuple(
            (r.label, texts.source_id(r.sha256), r.sha256 in created and new[r.sha256] is r)
            for r in checked
        )
        return ingest.Ingest(outcomes, sentences, refused, processes)

    def _checked_reports(
        self, reports: Iterable[object], published_on: object
    ) -> tuple[list[ingest.Report], dict[str, ingest.Report], dict[str, dict[str, list[str]]]]:
        """The reports that pass, the new texts among them (first of each), and the refused."""
        default_day = None if published_on is None else texts.published_day(published_on)
        read: list[tuple[str, ingest.Report | InvalidInput]] = []
        for i, item in enumerate(reports):
            given = item[0] if isinstance(item, tuple) and item else item
            label = str(given) if isinstance(given, Path) else f"item {i}"
            try:
                read.append((label, ingest.check_report(item, label, default_day)))
            except InvalidInput as error:
                read.append((label, error))
        with self.reading() as unit:
            known = unit.records.stored_sha256s(
                {r.sha256 for _, r in read if isinstance(r, ingest.Report)}
            )
        # As POST /v1/sources answers them: a text stored already, or earlier in the input,
        # is that source whatever metadata came with it; a new one needs good metadata.
        passed: list[ingest.Report] = []
        new: dict[str, ingest.Report] = {}
        refused: dict[str, dict[str, list[str]]] = {}
        for label, report in read:
            if isinstance(report, InvalidInput):
                refused[label] = report.errors
            elif report.sha256 in known or report.sha256 in new:
                passed.append(report)
            elif report.problems:
                refused[label] = report.problems
            else:
                new[report.sha256] = report
                passed.append(report)
        return passed, new, refused

    def _ingest(
        self, todo: list[ingest.Report], author: str, batch: int, processes: int
    ) -> tuple[set[str], int]:
        """Segment and store checked reports; the SHA-256 of those created, and their sentences."""
        # While a batch is being stored, the processes segment the next one.
        pool = ingest.SegmenterPool(processes, ahead=2 * batch)
        created: set[str] = set()
        sentences = 0
        pending: list[Source] = []
        with pool:
            segmented = pool.segment(report.read() for report in todo)
            try:
                for report, (text, found) in zip(todo, segmented, strict=True):
                    pending.append(
                        Source(
                            id=texts.source_id(report.sha256),
                            sha256=report.sha256,
                            text=text,
                            sentences=found,
                            **report.meta,
                        )
                    )
                    if len(pending) >= batch or report is todo[-1]:
                        stored = self._store_sources(pending, author)
                        created |= stored
                        sentences += sum(len(s.sentences) for s in pending if s.sha256 in stored)
                        pending = []
            except ingest.SegmentationFailed as error:
                raise LedgerError(f"{todo[error.position].label}: {error.detail}") from None
        return created, sentences

    def _store_sources(self, drafts: list[Source], author: str) -> set[str]:
        """One batch in one transaction: the sources not stored yet, each with its journal row."""
        with self.writing() as unit:
            # Checked again under the writer lock: another writer may have stored some since.
            stored = unit.records.stored_sha256s(draft.sha256 for draft in drafts)
            at = unit.now()
            new = []
            for draft in drafts:
                if draft.sha256 not in stored:
                    stored.add(draft.sha256)
                    new.append(dataclasses.replace(draft, recorded_at=at))
                    # Each source its own moment, in input order, as `as_of` reads the journal.
                    at = after(at)
            unit.records.add_sources(new, author)
            for source in new:
                unit.journal.record(
                    source.recorded_at, author, "source.add", source.id, written=as_hashed(source)
                )
        return {source.sha256 for source in new}

    def source(self, source_id: str) -> Source:
        with self.reading() as unit:
            found = unit.records.source(source_id)
        if found is None:
            raise NotFound(f"No source has the id {source_id!r}.")
        return found

    def sources(self, offset: int = 0, limit: int | None = None) -> tuple[int, list[Source]]:
        """How many sources there are, and a page of them (with sentences), oldest first."""
        with self.reading() as unit:
            return unit.records.sources(offset, limit)

    def listed_sources(
        self, offset: int, limit: int, as_of: dt.datetime | None = None
    ) -> tuple[int, list[ListedSource]]:
        """How many sources were stored by `as_of` (now by default), and a page of them
        without their texts and sentences, each with its number of sentences."""
        with self.reading() as unit:
            return unit.records.listed_sources(offset, limit, as_of)
