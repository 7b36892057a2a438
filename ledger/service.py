"""The ledger's use cases: one function per thing a person does, one transaction each."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from ledger import idempotency, ownership, publication, tokens
from ledger import sources as texts
from ledger.chain import Link
from ledger.checks import Checks, checks
from ledger.counting import Analysis
from ledger.drafts import parse_entry, parse_exchange, parse_note, parse_term
from ledger.errors import (
    Conflict,
    InvalidInput,
    LedgerError,
    NotFound,
    StaleRevision,
    Unauthorized,
)
from ledger.idempotency import StoredResponse
from ledger.preview import Preview, preview
from ledger.records import (
    ID,
    POPULATIONS,
    Entry,
    Exchange,
    ListedSource,
    Note,
    Source,
    Term,
    Token,
    check_record_id,
)
from ledger.revisions import advanced, current
from ledger.schedule import Schedule, schedule
from ledger.selection import Selection
from ledger.state import Memo, Newest, State
from ledger.still_held import StillHeld, still_held
from ledger.storage import backup as storage_backup
from ledger.storage.answers import Answers, Kept
from ledger.storage.database import Database
from ledger.storage.exports import Exports
from ledger.storage.journal import Journal, as_hashed
from ledger.storage.repository import Repository, serialized
from ledger.totals import Totals, answer, ask
from ledger.verify import (
    Finding,
    describe_checks,
    describe_implied,
    describe_names,
    verify_journal,
    verify_published_head,
    verify_published_rows,
    verify_store,
)

SYSTEM = "exchange-ledger"


def _version() -> str:
    try:
        return metadata.version("exchange-ledger")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


MAX_REASON = 2_000
SOURCES_KEPT = 64
# Kept answers are served only to the version of the service that rendered them.
SERVICE_VERSION = _version()
log = logging.getLogger("exchange_ledger.ledger")


def new_id(prefix: str) -> str:
    """A fresh public id: a short prefix naming the kind of record, then 64 random bits."""
    return f"{prefix}_{secrets.token_hex(8)}"


@dataclass(frozen=True)
class Revisable:
    """How entries, terms and exchanges, all revised by appending, are checked and stored."""

    noun: str
    prefix: str
    parse: Callable[..., Any]
    exists: Callable[[Repository, str], bool]
    lock: Callable[[Repository, str], bool]
    append: Callable[[Repository, Any, bool], None]
    revisions: Callable[[Repository, str | None, dt.datetime | None], list[Any]]
    restamp: Callable[[Repository, Any], None]


NOTE_PREFIX = "ctx"
ENTRIES = Revisable(
    "entry",
    "ent",
    parse_entry,
    Repository.entry_exists,
    Repository.lock_entry,
    Repository.add_entry_revision,
    Repository.entry_revisions,
    Repository.restamp_entry,
)
TERMS = Revisable(
    "term",
    "trm",
    parse_term,
    Repository.term_exists,
    Repository.lock_term,
    Repository.add_term_revision,
    Repository.term_revisions,
    Repository.restamp_term,
)
EXCHANGES = Revisable(
    "exchange",
    "exc",
    lambda data, find_source, _find_exchange: parse_exchange(data, find_source),
    Repository.exchange_exists,
    Repository.lock_exchange,
    Repository.add_exchange_revision,
    Repository.exchange_revisions,
    Repository.restamp_exchange,
)


class Ledger:
    """The ledger over one database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._memo = Memo(capacity=256)
        # The newest state analysed, and its analysis: where the next revision's starts from.
        self._newest = Newest()
        # Sources never change once stored (a source is its text's hash), so evidence is
        # checked against a kept copy instead of reading the report again for every write.
        self._sources = Memo(capacity=SOURCES_KEPT)

    # --- sources ------------------------------------------------------------------------------

    @contextmanager
    def one_unit(self) -> Iterator[None]:
        """The writes made inside are one unit of work, under the writer lock: all of them
        commit, or none (each write joins the unit)."""
        with self.database.writing():
            yield

    def split_source(self, text: object, **metadata: object) -> texts.Split:
        """A report checked and cut into sentences for add_source, before anything waits on it.

        Cutting a long report takes seconds of one core; a caller that holds writes back
        (the API's write turn) does it first, so no other write waits behind it. A text
        stored already is not cut again; one that is not has its metadata (add_source's)
        checked first, so a report refused for its date is refused before it is cut.
        """
        text = texts.check_text(text)
        sha256 = texts.sha256_of(text)
        with self.database.reading() as session:
            stored = Repository(session).source_by_sha256(sha256)
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
        split = text if isinstance(text, texts.Split) else None
        text = split.text if split is not None else texts.check_text(text)
        sha256 = split.sha256 if split is not None else texts.sha256_of(text)
        with self.database.reading() as session:
            stored = Repository(session).source_by_sha256(sha256)
        if stored is not None:
            return stored, False
        meta = texts.check_metadata(text, published_on, title, publisher, url)
        found = split.sentences if split is not None else None
        sentences = found if found is not None else texts.segment(text, texts.available_cores())
        try:
            with self.database.writing() as session, session.begin_nested():
                # A savepoint: losing a race to the same text must not spoil an enclosing unit.
                repository = Repository(session)
                at = _now(repository)
                source = Source(
                    id=texts.source_id(sha256),
                    sha256=sha256,
                    text=text,
                    recorded_at=at,
                    sentences=sentences,
                    **meta,
                )
                repository.add_source(source, author)
                Journal(repository).record(
                    at, author, "source.add", source.id, written=as_hashed(source)
                )
        except IntegrityError:
            # Another writer stored the same text first: theirs is the source.
            with self.database.reading() as session:
                stored = Repository(session).source_by_sha256(sha256)
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
        batch: int = texts.BATCH,
        processes: int | None = None,
    ) -> texts.Ingest:
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
            raise texts.ReportsRefused(refused, of=len(checked) + len(refused))
        todo = list(new.values())
        wanted = processes or texts.available_cores()
        # A process pays for itself only with a chunk of work or more.
        processes = max(1, min(wanted, -(-len(todo) // texts.CHUNK)))
        created, sentences = self._ingest(todo, author, batch, processes)
        outcomes = tuple(
            (r.label, texts.source_id(r.sha256), r.sha256 in created and new[r.sha256] is r)
            for r in checked
        )
        return texts.Ingest(outcomes, sentences, refused, processes)

    def _checked_reports(
        self, reports: Iterable[object], published_on: object
    ) -> tuple[list[texts.Report], dict[str, texts.Report], dict[str, dict[str, list[str]]]]:
        """The reports that pass, the new texts among them (first of each), and the refused."""
        default_day = None if published_on is None else texts.published_day(published_on)
        read: list[tuple[str, texts.Report | InvalidInput]] = []
        for i, item in enumerate(reports):
            given = item[0] if isinstance(item, tuple) and item else item
            label = str(given) if isinstance(given, Path) else f"item {i}"
            try:
                read.append((label, texts.check_report(item, label, default_day)))
            except InvalidInput as error:
                read.append((label, error))
        with self.database.reading() as session:
            known = Repository(session).stored_sha256s(
                {r.sha256 for _, r in read if isinstance(r, texts.Report)}
            )
        # As POST /v1/sources answers them: a text stored already, or earlier in the input,
        # is that source whatever metadata came with it; a new one needs good metadata.
        passed: list[texts.Report] = []
        new: dict[str, texts.Report] = {}
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
        self, todo: list[texts.Report], author: str, batch: int, processes: int
    ) -> tuple[set[str], int]:
        """Segment and store checked reports; the SHA-256 of those created, and their sentences."""
        # While a batch is being stored, the processes segment the next one.
        pool = texts.SegmenterPool(processes, ahead=2 * batch)
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
            except texts.SegmentationFailed as error:
                raise LedgerError(f"{todo[error.position].label}: {error.detail}") from None
        return created, sentences

    def _store_sources(self, drafts: list[Source], author: str) -> set[str]:
        """One batch in one transaction: the sources not stored yet, each with its journal row."""
        with self.database.writing() as session:
            repository = Repository(session)
            # Checked again under the writer lock: another writer may have stored some since.
            stored = repository.stored_sha256s(draft.sha256 for draft in drafts)
            at = _now(repository)
            new = []
            for draft in drafts:
                if draft.sha256 not in stored:
                    stored.add(draft.sha256)
                    new.append(dataclasses.replace(draft, recorded_at=at))
                    # Each source its own moment, in input order, as `as_of` reads the journal.
                    at = _after(at)
            repository.add_sources(new, author)
            journal = Journal(repository)
            for source in new:
                journal.record(
                    source.recorded_at, author, "source.add", source.id, written=as_hashed(source)
                )
        return {source.sha256 for source in new}

    def source(self, source_id: str) -> Source:
        with self.database.reading() as session:
            found = Repository(session).source(source_id)
        if found is None:
            raise NotFound(f"No source has the id {source_id!r}.")
        return found

    def sources(self, offset: int = 0, limit: int | None = None) -> tuple[int, list[Source]]:
        """How many sources there are, and a page of them (with sentences), oldest first."""
        with self.database.reading() as session:
            return Repository(session).sources(offset, limit)

    def listed_sources(
        self, offset: int, limit: int, as_of: dt.datetime | None = None
    ) -> tuple[int, list[ListedSource]]:
        """How many sources were stored by `as_of` (now by default), and a page of them
        without their texts and sentences, each with its number of sentences."""
        with self.database.reading() as session:
            return Repository(session).listed_sources(offset, limit, as_of)

    # --- entries and terms: revised by appending -------------------------------------------

    def add_entry(
        self,
        data: object,
        author: str,
        entry_id: str | None = None,
        by: Token | None = None,
    ) -> Entry:
        """Record a new entry (revision 1) after checking every field and quote."""
        return self._add(ENTRIES, data, author, entry_id, by)

    def revise_entry(
        self,
        entry_id: str,
        data: object,
        author: str,
        reason: object,
        expected_revision: int | None = None,
        by: Token | None = None,
    ) -> Entry:
        """Append a revision that changes what an entry says."""
        return self._revise(ENTRIES, entry_id, data, author, reason, expected_revision, by)

    def retract_entry(
        self,
        entry_id: str,
        author: str,
        reason: object,
        expected_revision: int | None = None,
        by: Token | None = None,
    ) -> Entry:
        """Append a retraction: the entry leaves every total but stays in the history.

        Written `by` a token, its rights apply: only an admin retracts what another token (or
        no token: the seed, the command line) recorded.
        """
        return self._revise(ENTRIES, entry_id, None, author, reason, expected_revision, by)

    def preview_entry(
        self,
        data: object,
        author: str,
        entry_id: str | None = None,
        expected_revision: int | None = None,
    ) -> Preview:
        """What recording an entry (or, with an id, revising it) would store and change: the
        conflicts and implied counts it would add or settle, and the days whose figures would
        move. Nothing is written."""
        draft = parse_entry(data, self._source_finder(), self._exchange_finder())
        if entry_id is not None:
            latest = self.entry(entry_id)
            _check_expected(latest.revision, expected_revision, entry_id)
            revision = latest.revision + 1
        else:
            entry_id, revision = new_id(ENTRIES.prefix), 1
        draft = dataclasses.replace(
            draft, id=entry_id, revision=revision, recorded_at=_after(None), author=author
        )
        state = self.state()
        return preview(self.analysis(), state.entries, state.exchange_days(), draft)

    def entry(self, entry_id: str, as_of: dt.datetime | None = None) -> Entry:
        """The entry as it stood at `as_of` (now by default), retracted or not."""
        return self._history(ENTRIES, entry_id, as_of)[-1]

    def entry_history(self, entry_id: str, as_of: dt.datetime | None = None) -> list[Entry]:
        """Every revision of an entry, oldest first."""
        return self._history(ENTRIES, entry_id, as_of)

    def entries(
        self, as_of: dt.datetime | None = None, selection: Selection | None = None
    ) -> list[Entry]:
        """The entries in force at `as_of`: the latest revision of each, retractions left out."""
        entries = self.state(as_of).entries
        return [e for e in entries if selection.admits(e)] if selection else list(entries)

    def entries_page(
        self,
        as_of: dt.datetime | None,
        selection: Selection,
        offset: int,
        limit: int,
    ) -> tuple[int, list[Entry]]:
        """How many entries are in force at `as_of` as selected, and `limit` of them from
        `offset` in id order: read as one page, not by reading the whole ledger."""
        with self.database.reading() as session:
            return Exports(session).entry_page(as_of, selection, offset, limit)

    def terms_page(
        self,
        as_of: dt.datetime | None,
        selection: Selection,
        offset: int,
        limit: int,
    ) -> tuple[int, list[Term]]:
        """As `entries_page`, for terms (few, so read from the ledger as it stood)."""
        terms = self.terms(as_of, selection)
        return len(terms), terms[offset : offset + limit]

    def add_term(
        self,
        data: object,
        author: str,
        term_id: str | None = None,
        by: Token | None = None,
    ) -> Term:
        """Record a term of an agreement (revision 1)."""
        return self._add(TERMS, data, author, term_id, by)

    def revise_term(
        self,
        term_id: str,
        data: object,
        author: str,
        reason: object,
        expected_revision: int | None = None,
        by: Token | None = None,
    ) -> Term:
        """Append a revision of a term."""
        return self._revise(TERMS, term_id, data, author, reason, expected_revision, by)

    def retract_term(
        self,
        term_id: str,
        author: str,
        reason: object,
        expected_revision: int | None = None,
        by: Token | None = None,
    ) -> Term:
        """Append a retraction of a term."""
        return self._revise(TERMS, term_id, None, author, reason, expected_revision, by)

    def term(self, term_id: str, as_of: dt.datetime | None = None) -> Term:
        return self._history(TERMS, term_id, as_of)[-1]

    def term_history(self, term_id: str, as_of: dt.datetime | None = None) -> list[Term]:
        return self._history(TERMS, term_id, as_of)

    def terms(
        self, as_of: dt.datetime | None = None, selection: Selection | None = None
    ) -> list[Term]:
        """The terms in force at `as_of`."""
        terms = self.state(as_of).terms
        return [t for t in terms if selection.admits(t)] if selection else list(terms)

    def add_exchange(
        self,
        data: object,
        author: str,
        exchange_id: str | None = None,
        by: Token | None = None,
    ) -> Exchange:
        """Record an exchange (revision 1): its name, parties, days and evidence."""
        return self._add(EXCHANGES, data, author, exchange_id, by)

    def revise_exchange(
        self,
        exchange_id: str,
        data: object,
        author: str,
        reason: object,
        expected_revision: int | None = None,
        by: Token | None = None,
    ) -> Exchange:
        """Append a revision of an exchange (its last day, once known)."""
        return self._revise(EXCHANGES, exchange_id, data, author, reason, expected_revision, by)

    def retract_exchange(
        self,
        exchange_id: str,
        author: str,
        reason: object,
        expected_revision: int | None = None,
        by: Token | None = None,
    ) -> Exchange:
        """Append a retraction of an exchange no entry or term in force names."""
        return self._revise(EXCHANGES, exchange_id, None, author, reason, expected_revision, by)

    def exchange(self, exchange_id: str, as_of: dt.datetime | None = None) -> Exchange:
        return self._history(EXCHANGES, exchange_id, as_of)[-1]

    def exchange_history(
        self, exchange_id: str, as_of: dt.datetime | None = None
    ) -> list[Exchange]:
        return self._history(EXCHANGES, exchange_id, as_of)

    def exchanges(self, as_of: dt.datetime | None = None) -> list[Exchange]:
        """The exchanges in force at `as_of`."""
        return list(self.state(as_of).exchanges)

    def exchanges_page(
        self, as_of: dt.datetime | None, selection: Selection, offset: int, limit: int
    ) -> tuple[int, list[Exchange]]:
        """As `entries_page`, for exchanges (few, so read from the ledger as it stood)."""
        found = self.exchanges(as_of)
        if selection.source is not None:
            found = [e for e in found if selection.source in e.sources]
        return len(found), found[offset : offset + limit]

    def _add(
        self,
        kind: Revisable,
        data: object,
        author: str,
        record_id: str | None,
        by: Token | None = None,
    ) -> Any:
        # Checked before the writer lock is taken: sources never change, so nothing a check
        # reads can change before the write lands.
        draft = kind.parse(data, self._source_finder(), self._exchange_finder())
        if record_id is not None:
            check_record_id(record_id, kind.prefix)
        # The record and its hash are made before the writer lock is taken (on SQLite, at
        # BEGIN); if another write lands first with a later moment, the journal restamps it.
        chosen = record_id is not None
        at = _after(None)
        record = dataclasses.replace(
            draft, id=record_id or new_id(kind.prefix), revision=1, recorded_at=at, author=author
        )
        content = Journal.content_of(record)
        # A new id is 64 random bits: its rows collide with no other writer's, so they are
        # inserted before this unit becomes the only writer, which it is only to journal them.
        # An id the caller chose may be taken already: it is checked as the only writer.
        with self.database.writing(lock_late=not chosen) as session:
            repository = Repository(session)
            if chosen and kind.exists(repository, record.id):
                raise InvalidInput.one("id", f"{kind.noun} {record.id!r} exists already.")
            # The token's row first: on PostgreSQL the unit becomes the only writer at the end
            # of the record's statement, and this row collides with no other writer's either.
            ownership.written_by(repository, record.id, 1, by)
            kind.append(repository, record, True)
            link = Journal(repository).record(
                at, author, f"{kind.noun}.add", record.id, 1, written=record,
                restamp=lambda later: kind.restamp(
                    repository, dataclasses.replace(record, recorded_at=later)
                ),
                content=content,
            )  # fmt: skip
        return dataclasses.replace(record, recorded_at=link.recorded_at)

    def _revise(
        self,
        kind: Revisable,
        record_id: str,
        data: object | None,
        author: str,
        reason: object,
        expected_revision: int | None,
        by: Token | None = None,
    ) -> Any:
        # data None means a retraction. Written `by` a token, its rights apply: only an admin
        # retracts a record another token (or none) recorded, or revises one an admin retracted.
        reason = _reason(reason)
        draft = (
            None
            if data is None
            else kind.parse(data, self._source_finder(), self._exchange_finder())
        )
        with self.database.writing() as session:
            repository = Repository(session)
            if not kind.lock(repository, record_id):
                raise NotFound(f"No {kind.noun} has the id {record_id!r}.")
            latest = kind.revisions(repository, record_id, None)[-1]
            _check_expected(latest.revision, expected_revision, record_id)
            if draft is not None:
                ownership.check_may_revise(repository, latest, by)
                changed = draft
            elif latest.retracted:
                raise Conflict.one(
                    "id",
                    f"{kind.noun} {record_id} is retracted already (revision "
                    f"{latest.revision}); its history keeps it.",
                )
            else:
                ownership.check_may_retract(repository, record_id, by)
                if kind is EXCHANGES:
                    self._check_unnamed(record_id)
                changed = dataclasses.replace(latest, retracted=True)
            at = _now(repository)
            record = dataclasses.replace(
                changed,
                id=record_id,
                revision=latest.revision + 1,
                recorded_at=at,
                author=author,
                reason=reason,
            )
            kind.append(repository, record, False)
            ownership.written_by(repository, record_id, record.revision, by)
            action = "retract" if record.retracted else "revise"
            Journal(repository).record(
                at, author, f"{kind.noun}.{action}", record_id, record.revision, written=record
            )
        return record

    def _check_unnamed(self, exchange_id: str) -> None:
        """An exchange that entries or terms in force name stays: they would lose its days."""
        state = self.state()
        naming = [e.id for e in state.entries if e.exchange == exchange_id]
        naming += [t.id for t in state.terms if t.exchange == exchange_id]
        if naming:
            shown = ", ".join(naming[:5]) + (" and more" if len(naming) > 5 else "")
            raise Conflict.one(
                "id",
                f"exchange {exchange_id} is named by {len(naming)} record(s) in force "
                f"({shown}); revise or retract them first.",
            )

    def _exchange_finder(self) -> Callable[[str], Exchange | None]:
        """Finds an exchange as it stands now (None if unknown or retracted)."""

        def find(exchange_id: str) -> Exchange | None:
            if not ID.match(exchange_id):
                return None
            with self.database.reading() as session:
                history = Repository(session).exchange_revisions(exchange_id)
            return history[-1] if history and not history[-1].retracted else None

        return find

    def _source_finder(self) -> Callable[[str], Source | None]:
        """Finds a stored source by id, from the kept copies when it can."""

        def find(source_id: str) -> Source | None:
            found = self._sources.get(source_id)
            if found is None:
                with self.database.reading() as session:
                    found = Repository(session).source(source_id)
                if found is not None:
                    self._sources.put(source_id, found)
            return found

        return find

    def _history(self, kind: Revisable, record_id: str, as_of: dt.datetime | None) -> list[Any]:
        with self.database.reading() as session:
            repository = Repository(session)
            if not kind.exists(repository, record_id):
                raise NotFound(f"No {kind.noun} has the id {record_id!r}.")
            history = kind.revisions(repository, record_id, as_of)
        if not history:
            raise NotFound(
                f"{kind.noun.capitalize()} {record_id!r} did not exist yet at "
                f"{as_of.isoformat() if as_of else 'that moment'}."
            )
        return history

    def import_entries(self, entries: Iterable[Entry], author: str, batch: int = 5_000) -> int:
        """A trusted bulk path for generated ledgers (benchmarks, load tests): first revisions
        whose evidence is already resolved, inserted in one transaction. Not offered over HTTP
        or the CLI; the database still enforces every key and check, and `verify` re-checks
        every quote."""
        count = 0
        with self.database.writing() as session:
            repository = Repository(session)
            at = _now(repository)
            chunk: list[Entry] = []
            for entry in entries:
                if not ID.match(entry.id) or not entry.evidence:
                    raise InvalidInput.one("id", f"{entry.id!r} is not an entry id with evidence.")
                chunk.append(
                    dataclasses.replace(
                        entry, revision=1, recorded_at=at, author=author, retracted=False
                    )
                )
                if len(chunk) == batch:
                    repository.add_entries_bulk(chunk)
                    count, chunk = count + len(chunk), []
            repository.add_entries_bulk(chunk)
            count += len(chunk)
            Journal(repository).record(at, author, "entry.import", f"{count} entries")
        return count

    # --- context notes ------------------------------------------------------------------------

    def add_note(self, data: object, author: str, note_id: str | None = None) -> Note:
        """Record a sourced context figure, kept out of every total."""
        draft = parse_note(data, self._source_finder())
        if note_id is not None:
            check_record_id(note_id, NOTE_PREFIX)
        with self.database.writing() as session:
            repository = Repository(session)
            note_id = note_id or new_id(NOTE_PREFIX)
            if repository.note_exists(note_id):
                raise InvalidInput.one("id", f"a note with the id {note_id!r} exists already.")
            at = _now(repository)
            note = dataclasses.replace(draft, id=note_id, recorded_at=at, author=author)
            repository.add_note(note)
            Journal(repository).record(at, author, "note.add", note.id)
        return note

    def notes(self, as_of: dt.datetime | None = None) -> list[Note]:
        with self.database.reading() as session:
            return Repository(session).notes(as_of)

    def exists(self, kind: str, record_id: str) -> bool:
        """Whether an entry, term, exchange or note with this id was ever recorded."""
        with self.database.reading() as session:
            repository = Repository(session)
            check = {
                "entry": repository.entry_exists,
                "term": repository.term_exists,
                "exchange": repository.exchange_exists,
                "note": repository.note_exists,
            }[kind]
            return check(record_id)

    # --- what the ledger adds up to -----------------------------------------------------------

    def state(self, as_of: dt.datetime | None = None) -> State:
        """The entries and terms in force at `as_of`, read in one snapshot with its revision.

        The revision is the journal's seq at `as_of` (the head, without one): the number of
        writes the state contains. An earlier moment's state keeps its revision after later
        writes, so the same as_of question is answered the same, revision included. The
        newest state moves on from the one read before it: only the entry revisions written
        since are read.
        """
        with self.database.reading() as session:
            repository = Repository(session)
            head = repository.head() if as_of is None else None
            revision = _revision_at(repository, as_of) if head is None else head[0]
            key = ("state", revision, as_of)
            found = self._memo.get(key)
            if found is None:
                earlier = self._newest.state
                moved = None
                if head is not None and earlier is not None and earlier.revision < revision:
                    since = repository.entry_revisions(after=earlier.moment)
                    entries, changed = advanced(earlier.entries, since)
                    moved = (earlier.revision, tuple(changed))
                else:
                    entries = current(repository.entry_revisions(as_of=as_of), as_of)
                found = State(
                    revision=revision,
                    as_of=as_of,
                    entries=tuple(entries),
                    terms=tuple(current(repository.term_revisions(as_of=as_of), as_of)),
                    exchanges=tuple(current(repository.exchange_revisions(as_of=as_of), as_of)),
                    moment=head[1] if head is not None else None,
                    moved=moved,
                )
                self._memo.put(key, found)
            return found

    def analysis(self, as_of: dt.datetime | None = None) -> Analysis:
        """The entries in force at `as_of`, split into components and worked out (readings,
        implied counts): once per revision, for every question asked of it.

        The newest analysis moves on from the one before it (`State.analysis`): a write's
        first answer works out only the components the write reached.
        """
        return self._computed("analysis", as_of, {}, self._analysed)

    def warm_up(self) -> None:
        """Work out the newest analysis, and what the dashboard's first page asks of it, before
        anyone asks (a server's worker does in its first quiet moment): the first answer
        after a later write then works out only what the write reached, whichever worker it
        lands on."""
        for population in POPULATIONS:
            self.totals(population=population, kind=("released",))
        self.still_held()
        self.checks()

    def _analysed(self, state: State) -> Analysis:
        if state.as_of is not None or self.database.in_unit:
            return state.analysis()  # a unit's writes may yet roll back: not a base to keep
        return self._newest.analysis(state)

    def totals(
        self,
        as_of: dt.datetime | None = None,
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
        **question: Any,
    ) -> Totals:
        """Day-by-day totals of the entries in force at `as_of` (DESIGN.md's rules)."""
        question = {k: tuple(v) if isinstance(v, list) else v for k, v in question.items()}
        params = {**question, "start": start, "end": end}
        return self._computed(
            "totals",
            as_of,
            params,
            lambda state: answer(self.analysis(as_of), ask(**question), start, end),
        )

    def schedule(self, as_of: dt.datetime | None = None, **key: Any) -> Schedule:
        """The terms' expected curve beside the reported one, day by day, per exchange."""
        return self._computed(
            "schedule",
            as_of,
            key,
            lambda state: schedule(state.terms, self.analysis(as_of), state.exchanges, **key),
        )

    def still_held(self, as_of: dt.datetime | None = None, **filters: Any) -> tuple[StillHeld, ...]:
        """Captured minus every way out of captivity, per party."""
        return self._computed(
            "still_held",
            as_of,
            filters,
            lambda state: still_held(self.analysis(as_of), **filters),
        )

    def checks(self, as_of: dt.datetime | None = None) -> Checks:
        """Every conflict and implied count in the ledger at `as_of`."""
        return self._computed("checks", as_of, {}, lambda state: checks(self.analysis(as_of)))

    def _computed(
        self,
        name: str,
        as_of: dt.datetime | None,
        params: dict[str, Any],
        compute: Callable[[State], Any],
    ) -> Any:
        # Computed once per ledger revision: the same question at the same revision is
        # answered from memory, and any write moves the revision on.
        state = self.state(as_of)
        key = (name, state.revision, as_of, tuple(sorted(params.items())))
        found = self._memo.get(key)
        if found is None:
            found = compute(state)
            self._memo.put(key, found)
        return found

    # --- publication: CSV tables and their data package -------------------------------------

    def published_rows(
        self, table: str, as_of: dt.datetime | None = None, selection: Selection | None = None
    ) -> Iterator[Sequence[Any]]:
        """The rows of one published table, streamed from one snapshot of the database."""
        selection = selection or Selection()
        with self.database.reading() as session:
            exports = Exports(session)
            if table == "entries":
                yield from publication.entry_rows(exports.entry_batches(as_of, selection))
            elif table == "evidence":
                yield from exports.evidence_rows(as_of, selection)
            elif table == "totals":
                yield from publication.totals_rows(self.analysis(as_of), selection)
            elif table == "findings":
                yield from publication.finding_rows(self.analysis(as_of), selection)
            elif table == "exchanges":
                found = self.exchanges(as_of)
                if selection.source is not None:
                    found = [e for e in found if selection.source in e.sources]
                yield from publication.exchange_rows(found)
            elif table == "sources":
                yield from exports.source_rows(as_of, selection.source)
            elif table == "sentences":
                yield from exports.sentence_rows(as_of, selection.source)
            else:
                raise NotFound(
                    f"No table is called {table!r}; there are {', '.join(publication.TABLES)}."
                )

    def published_csv(
        self, table: str, as_of: dt.datetime | None = None, selection: Selection | None = None
    ) -> Iterator[str]:
        """One published table as CSV text, header first, streamed from one snapshot.

        entries.csv is read as stored rows (see `ledger.storage.exports`); the other tables
        are written from their rows here.
        """
        if table != "entries":
            rows = self.published_rows(table, as_of, selection)
            yield from publication.csv_lines(publication.TABLES[table], rows)
            return
        yield from publication.csv_text(publication.ENTRIES, self._entry_lines(as_of, selection))

    def _entry_lines(
        self, as_of: dt.datetime | None, selection: Selection | None = None
    ) -> Iterator[str]:
        """entries.csv's rows as stored (without line ends), read a batch at a time from one
        snapshot."""
        with self.database.reading() as session:
            for lines in Exports(session).entry_lines(as_of, selection or Selection()):
                yield from lines

    def count_published(
        self, table: str, as_of: dt.datetime | None = None, selection: Selection | None = None
    ) -> int | None:
        """How many rows a published table will have; None where only writing it tells."""
        selection = selection or Selection()
        with self.database.reading() as session:
            exports = Exports(session)
            if table in ("totals", "findings", "exchanges"):
                return sum(1 for _ in self.published_rows(table, as_of, selection))
            return exports.count(table, as_of, selection)

    def export_package(
        self,
        folder: Path,
        as_of: dt.datetime | None = None,
        watch: Callable[[str, Iterator[Any]], Iterator[Any]] | None = None,
    ) -> dict[str, int]:
        """Write datapackage.json and the five CSV files to a folder; rows per table.

        `watch(name, rows)` may wrap each table's rows, e.g. in a progress bar.
        """
        folder.mkdir(parents=True, exist_ok=True)
        written: dict[str, int] = {}
        for name, table in publication.TABLES.items():
            # entries.csv from its stored rows, as published_csv serves it; the others written.
            rows: Iterator[Any]
            if name == "entries":
                rows, render = self._entry_lines(as_of), publication.csv_text
            else:
                rows, render = self.published_rows(name, as_of), publication.csv_lines
            if watch is not None:
                rows = watch(name, rows)
            counted = _Counted(rows)
            with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as out:
                out.writelines(render(table, counted))
            written[name] = counted.count
        reports = [
            publication.cited_source(row[0], row[2], row[3], row[5])
            for row in self.published_rows("sources", as_of)
        ]
        package = publication.datapackage(
            lambda name: f"{name}.csv", reports, as_of.isoformat() if as_of else None
        )
        (folder / "datapackage.json").write_text(
            json.dumps(package, indent=2) + "\n", encoding="utf-8"
        )
        return written

    # --- the ledger as a whole ----------------------------------------------------------------

    # --- kept answers: computed once per revision, across processes ---------------------------

    def kept_answer(self, address: str, revision: int) -> bytes | None:
        """The answer kept for `address` at `revision` (see ledger.storage.answers)."""
        with self.database.reading(snapshot=False) as session:
            return Answers(session).get(address, revision, SERVICE_VERSION)

    def keep_answer(self, address: str, revision: int, body: bytes) -> bool:
        """Keep an answer computed at `revision`, if that is still the ledger's; False when
        it was not kept (too large, a write came in since, or the database refused)."""
        try:
            # Not as the ledger's writer (lock_late, and nothing here takes the lock): put()
            # keeps it only while the journal's head is `revision`, and get() serves it only
            # then, so a write landing meanwhile costs a computation, never a wrong answer.
            with self.database.writing(lock_late=True) as session:
                return Answers(session).put(address, revision, SERVICE_VERSION, body)
        except LedgerError as error:
            # An answer not kept is only computed again: the one asked for is still given.
            log.warning("answer for %s not kept: %s", address, error.detail)
            return False

    def forget_answers(self) -> int:
        """Drop every kept answer (derived data: each is computed again when asked)."""
        with self.database.writing() as session:
            return Answers(session).forget()

    def kept_answers(self) -> list[Kept]:
        """Every kept answer (for `verify`, which computes each again)."""
        with self.database.reading() as session:
            return Answers(session).all()

    def revision(self, as_of: dt.datetime | None = None) -> int:
        """The ledger's revision: the number of writes so far (by `as_of`). It changes with
        every write, and at an earlier moment it stays what it was then."""
        if as_of is None:
            return self.database.newest_seq()
        with self.database.reading() as session:
            return _revision_at(Repository(session), as_of)

    def counts(self) -> dict[str, int]:
        with self.database.reading() as session:
            return Repository(session).counts()

    def verify(self, published_head: tuple[int, str] | None = None) -> list[Finding]:
        """Every integrity problem of the store, the first broken link of the journal's hash
        chain included; empty when all is well.

        With a published head (seq, chain hash), also check the chain still holds it, which
        finds a journal cut short or rewritten and resealed since it was published.
        """
        with self.database.reading() as session:
            repository = Repository(session)
            journal = Journal(repository)
            links = [(link, journal.content_sha256(link)) for link in journal.links()]
            entries, terms = repository.entry_revisions(), repository.term_revisions()
            found = [
                *verify_store(
                    repository.all_sources_with_sentences(),
                    repository.all_evidence(),
                    entries,
                    terms,
                ),
                *verify_journal(links, entries, terms),
                *verify_published_rows(repository.published_entry_rows(), entries),
            ]
        if published_head is not None:
            found += verify_published_head([link for link, _ in links], *published_head)
        return found

    def check_findings(self, as_of: dt.datetime | None = None) -> list[Finding]:
        """The conflicts and still-held mismatches of `checks`, each naming its entries and
        their sources (what the reports say that does not add up, not damage to the store),
        and names written before names were normalised, which are keys of their own."""
        state = self.state(as_of)
        return describe_checks(self.checks(as_of), state.entries) + describe_names(
            state.entries, state.terms
        )

    def implied_findings(self, as_of: dt.datetime | None = None) -> list[Finding]:
        """The implied counts of `checks`, each naming the entries that imply it."""
        return describe_implied(self.checks(as_of))

    def backup(self, target: Path) -> str:
        """Write a consistent copy of the store (SQLite backup API, or pg_dump)."""
        return storage_backup.backup(self.database, target)

    def restore(self, backup_file: Path) -> str:
        """Fill an empty store from a backup, then check it whole."""
        counts = self.counts()
        if any(counts.values()):
            held = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
            raise InvalidInput.one(
                "database",
                f"restore needs an empty store; this one holds "
                f"{held}. Point LEDGER_DATABASE_URL at a new database.",
            )
        made = storage_backup.restore(self.database, backup_file)
        self.database.dispose()
        # A backup is sealed already; only one from before the chain is sealed, by the
        # migration that adds it.
        self.database.migrate()
        return made

    def chain_head(self, as_of: dt.datetime | None = None) -> Link | None:
        """The newest journal row (by `as_of`): a published figure cites its seq and hash."""
        with self.database.reading() as session:
            return Journal(Repository(session)).head(as_of)

    # --- idempotent writes ---------------------------------------------------------------------

    def once(
        self, token_id: str, key: str, fingerprint: str, write: Callable[[], StoredResponse]
    ) -> tuple[StoredResponse, bool]:
        """Run a keyed write once: a retry gets the first answer back (replayed=True).

        The write and the record of its answer commit in one transaction, so a crash leaves
        neither, and two racing retries leave one write: the loser's insert of the key fails
        and its whole transaction rolls back.
        """
        idempotency.check_key(key)
        try:
            with self.database.writing() as session:
                repository = Repository(session)
                replay = _replay(repository.stored_response(token_id, key), fingerprint)
                if replay is not None:
                    return replay, True
                response = write()
                if 200 <= response.status < 300:
                    repository.store_response(
                        token_id, key, fingerprint, response, _now(repository)
                    )
                return response, False
        except IntegrityError:
            with self.database.reading() as session:
                replay = _replay(Repository(session).stored_response(token_id, key), fingerprint)
            if replay is None:
                raise
            return replay, True

    # --- tokens -------------------------------------------------------------------------------

    def create_token(self, role: object, name: object = None) -> tuple[Token, str]:
        """Make a token; the secret is returned once and only its hash is kept."""
        role = tokens.check_role(role)
        token_id = new_id("tok")
        name = tokens.check_name(name if name is not None else f"{role}-{token_id[4:]}")
        secret = tokens.new_secret()
        with self.database.writing() as session:
            repository = Repository(session)
            if name.casefold() in tokens.RESERVED or repository.token_name_taken(name):
                raise InvalidInput.one(
                    "name",
                    f"{name!r} is taken: a token, or the author of a write in the ledger, bears "
                    "it (in some case); token names name authors, so each is one author's.",
                )
            at = _now(repository)
            token = Token(id=token_id, name=name, role=role, created_at=at)
            repository.add_token(token, tokens.secret_sha256(secret))
            Journal(repository).record(at, SYSTEM, "token.add", token.id)
        return token, secret

    def revoke_token(self, which: str) -> Token:
        """Revoke a token, named by its id or name; it is refused from then on."""
        with self.database.writing() as session:
            repository = Repository(session)
            at = _now(repository)
            token = repository.revoke_token(which, at)
            if token is None:
                raise NotFound(f"No token has the id or name {which!r}, or it is revoked.")
            Journal(repository).record(at, SYSTEM, "token.revoke", token.id)
        return token

    def tokens(self) -> list[Token]:
        """Every token (never its secret), oldest first."""
        with self.database.reading() as session:
            return Repository(session).tokens()

    def authenticate(self, secret: str | None) -> Token:
        """The token a bearer secret belongs to; Unauthorized when unknown or revoked."""
        if not secret:
            raise Unauthorized(
                "Send 'Authorization: Bearer <token>'; make one with "
                "'exchange-ledger token create --role editor'."
            )
        with self.database.reading(snapshot=False) as session:
            found = Repository(session).token_by_secret_sha256(tokens.secret_sha256(secret))
        if found is None or not tokens.same_secret(found[1], secret) or found[0].revoked_at:
            raise Unauthorized("The bearer token is not known or has been revoked.")
        return found[0]


class _Counted:
    """An iterator that counts what passes through it."""

    def __init__(self, items: Iterator[Any]) -> None:
        self.items, self.count = items, 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.count += 1
            yield item


def _replay(stored: tuple[str, StoredResponse] | None, fingerprint: str) -> StoredResponse | None:
    if stored is None:
        return None
    if stored[0] != fingerprint:
        raise InvalidInput.one(
            "Idempotency-Key",
            "was used before for a different request; use a new key for a new request.",
        )
    return stored[1]


def _revision_at(repository: Repository, as_of: dt.datetime | None) -> int:
    """The seq of the newest journal row recorded by `as_of` (now when None); 0 before any."""
    if as_of is None:
        head = repository.head()
        return head[0] if head else 0
    link = Journal(repository).head(as_of)
    return link.seq if link else 0


def _now(repository: Repository) -> dt.datetime:
    """Now, but never before the last write, so `as_of` always sees writes in order."""
    serialized(repository.session)  # no other writer until this unit commits
    head = repository.head()
    return _after(head[1] if head else None)


def _after(last: dt.datetime | None) -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    return last + dt.timedelta(microseconds=1) if last is not None and last >= now else now


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput.one("reason", "is required: say why the entry changes.")
    if len(reason) > MAX_REASON:
        raise InvalidInput.one("reason", f"is longer than {MAX_REASON} characters.")
    if "\x00" in reason:
        raise InvalidInput.one("reason", "contains a NUL character.")
    if not texts.encodable(reason):
        raise InvalidInput.one("reason", texts.NOT_UNICODE)
    return reason.strip()


def _check_expected(latest: int, expected: int | None, record_id: str) -> None:
    if expected is not None and expected != latest:
        raise StaleRevision(
            f"{record_id} is at revision {latest}, not {expected}; fetch it again and "
            "re-apply your change."
        )
