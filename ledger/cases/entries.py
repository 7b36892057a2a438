"""Entries, terms and context notes: what the reports state, recorded and revised."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from ledger import publication
from ledger.cases.base import new_id
from ledger.cases.revising import Revisable, Revising, check_expected
from ledger.drafts import parse_entry, parse_note, parse_term
from ledger.errors import InvalidInput
from ledger.preview import Preview, preview
from ledger.records import ID, Entry, Note, Term, Token, check_record_id
from ledger.selection import Selection
from ledger.storage.repository import Repository
from ledger.storage.unit import after

NOTE_PREFIX = "ctx"


def _append_entry(records: Repository, entry: Entry, first: bool) -> None:
    # Each revision is stored with its row of entries.csv, rendered here, once.
    records.add_entry_revision(entry, first, publication.entry_line(entry))


ENTRIES = Revisable(
    "entry",
    "ent",
    parse_entry,
    Repository.entry_exists,
    Repository.lock_entry,
    _append_entry,
    Repository.entry_revisions,
)
TERMS = Revisable(
    "term",
    "trm",
    parse_term,
    Repository.term_exists,
    Repository.lock_term,
    Repository.add_term_revision,
    Repository.term_revisions,
)


class Entries(Revising):
    """Entries and terms, revised by appending; notes, recorded once."""

    # --- entries ------------------------------------------------------------------------------

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
        draft = parse_entry(data, self.source_finder(), self.exchange_finder())
        if entry_id is not None:
            latest = self.entry(entry_id)
            check_expected(latest.revision, expected_revision, entry_id)
            revision = latest.revision + 1
        else:
            entry_id, revision = new_id(ENTRIES.prefix), 1
        draft = dataclasses.replace(
            draft, id=entry_id, revision=revision, recorded_at=after(None), author=author
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
        with self.reading() as unit:
            return unit.exports.entry_page(as_of, selection, offset, limit)

    def import_entries(self, entries: Iterable[Entry], author: str, batch: int = 5_000) -> int:
        """A trusted bulk path for generated ledgers (benchmarks, load tests): first revisions
        whose evidence is already resolved, inserted in one transaction. Not offered over HTTP
        or the CLI; the database still enforces every key and check, and `verify` re-checks
        every quote."""
        count = 0
        with self.writing() as unit:
            at = unit.now()
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
                    unit.records.add_entries_bulk(chunk, _lines(chunk))
                    count, chunk = count + len(chunk), []
            unit.records.add_entries_bulk(chunk, _lines(chunk))
            count += len(chunk)
            unit.journal.record(at, author, "entry.import", f"{count} entries")
        return count

    # --- terms --------------------------------------------------------------------------------

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

    # --- context notes: sourced figures kept out of every total --------------------------------

    def add_note(self, data: object, author: str, note_id: str | None = None) -> Note:
        """Record a sourced context figure, kept out of every total."""
        draft = parse_note(data, self.source_finder())
        if note_id is not None:
            check_record_id(note_id, NOTE_PREFIX)
        with self.writing() as unit:
            note_id = note_id or new_id(NOTE_PREFIX)
            if unit.records.note_exists(note_id):
                raise InvalidInput.one("id", f"a note with the id {note_id!r} exists already.")
            at = unit.now()
            note = dataclasses.replace(draft, id=note_id, recorded_at=at, author=author)
            unit.records.add_note(note)
            unit.journal.record(at, author, "note.add", note.id)
        return note

    def notes(self, as_of: dt.datetime | None = None) -> list[Note]:
        with self.reading() as unit:
            return unit.records.notes(as_of)

    def exists(self, kind: str, record_id: str) -> bool:
        """Whether an entry, term, exchange or note with this id was ever recorded."""
        with self.reading() as unit:
            records = unit.records
            check = {
                "entry": records.entry_exists,
                "term": records.term_exists,
                "exchange": records.exchange_exists,
                "note": records.note_exists,
            }[kind]
            return check(record_id)


def _lines(entries: list[Entry]) -> list[str]:
    return [publication.entry_line(entry) for entry in entries]
