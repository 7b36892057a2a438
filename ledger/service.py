"""The ledger's use cases: one function per thing a person does, one transaction each."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from ledger import sources as texts
from ledger import tokens
from ledger.drafts import parse_entry, parse_note, parse_term
from ledger.errors import InvalidInput, NotFound, StaleRevision, Unauthorized
from ledger.records import Entry, Note, Source, Term, Token
from ledger.revisions import current
from ledger.schedule import Schedule, schedule
from ledger.still_held import StillHeld, still_held
from ledger.storage.database import Database
from ledger.storage.repository import Repository
from ledger.totals import Totals, totals
from ledger.verify import Finding, verify_store

SYSTEM = "exchange-ledger"
MAX_REASON = 2_000


def new_id(prefix: str) -> str:
    """A fresh public id: a short prefix naming the kind of record, then 64 random bits."""
    return f"{prefix}_{secrets.token_hex(8)}"


class Ledger:
    """The ledger over one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # --- sources ------------------------------------------------------------------------------

    def add_source(
        self,
        text: object,
        published_on: object = None,
        title: object = None,
        publisher: object = None,
        url: object = None,
        author: str = SYSTEM,
    ) -> tuple[Source, bool]:
        """Store a report byte-for-byte; the same text twice is one source (created=False)."""
        text = texts.check_text(text)
        sha256 = texts.sha256_of(text)
        with self.database.reading() as session:
            stored = Repository(session).source_by_sha256(sha256)
        if stored is not None:
            return stored, False
        meta = texts.check_metadata(text, published_on, title, publisher, url)
        sentences = texts.segment(text)
        try:
            with self.database.writing() as session:
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
                repository.record(at, author, "source.add", source.id)
        except IntegrityError:
            # Another writer stored the same text first: theirs is the source.
            with self.database.reading() as session:
                stored = Repository(session).source_by_sha256(sha256)
            if stored is None:
                raise
            return stored, False
        return source, True

    def source(self, source_id: str) -> Source:
        with self.database.reading() as session:
            found = Repository(session).source(source_id)
        if found is None:
            raise NotFound(f"No source has the id {source_id!r}.")
        return found

    def sources(self) -> list[Source]:
        """Every source, without sentences, oldest first."""
        with self.database.reading() as session:
            return Repository(session).sources()

    # --- entries ------------------------------------------------------------------------------

    def add_entry(self, data: object, author: str, entry_id: str | None = None) -> Entry:
        """Record a new entry (revision 1) after checking every field and quote."""
        with self.database.writing() as session:
            repository = Repository(session)
            draft = parse_entry(data, _source_finder(repository))
            entry_id = entry_id or new_id("ent")
            if repository.entry_exists(entry_id):
                raise InvalidInput.one("id", f"an entry with the id {entry_id!r} exists already.")
            at = _now(repository)
            entry = dataclasses.replace(
                draft, id=entry_id, revision=1, recorded_at=at, author=author
            )
            repository.add_entry_revision(entry, first=True)
            repository.record(at, author, "entry.add", entry.id, 1)
        return entry

    def revise_entry(
        self,
        entry_id: str,
        data: object,
        author: str,
        reason: object,
        expected_revision: int | None = None,
    ) -> Entry:
        """Append a revision that changes what an entry says."""
        return self._append_entry(
            entry_id,
            author,
            reason,
            expected_revision,
            lambda repository, _latest: parse_entry(data, _source_finder(repository)),
        )

    def retract_entry(
        self, entry_id: str, author: str, reason: object, expected_revision: int | None = None
    ) -> Entry:
        """Append a retraction: the entry leaves every total but stays in the history."""

        def retraction(_repository: Repository, latest: Entry) -> Entry:
            if latest.retracted:
                raise InvalidInput.one("id", f"entry {entry_id} is retracted already.")
            return dataclasses.replace(latest, retracted=True)

        return self._append_entry(entry_id, author, reason, expected_revision, retraction)

    def _append_entry(
        self,
        entry_id: str,
        author: str,
        reason: object,
        expected_revision: int | None,
        change: Callable[[Repository, Entry], Entry],
    ) -> Entry:
        reason = _reason(reason)
        with self.database.writing() as session:
            repository = Repository(session)
            if not repository.lock_entry(entry_id):
                raise NotFound(f"No entry has the id {entry_id!r}.")
            latest = repository.entry_revisions(entry_id)[-1]
            _check_expected(latest.revision, expected_revision, entry_id)
            at = _now(repository)
            entry = dataclasses.replace(
                change(repository, latest),
                id=entry_id,
                revision=latest.revision + 1,
                recorded_at=at,
                author=author,
                reason=reason,
            )
            repository.add_entry_revision(entry, first=False)
            action = "entry.retract" if entry.retracted else "entry.revise"
            repository.record(at, author, action, entry_id, entry.revision)
        return entry

    def entry(self, entry_id: str, as_of: dt.datetime | None = None) -> Entry:
        """The entry as it stood at `as_of` (now by default), retracted or not."""
        history = self.entry_history(entry_id, as_of)
        if not history:
            raise NotFound(f"Entry {entry_id!r} did not exist at {as_of.isoformat()}.")
        return history[-1]

    def entry_history(self, entry_id: str, as_of: dt.datetime | None = None) -> list[Entry]:
        """Every revision of an entry, oldest first."""
        with self.database.reading() as session:
            repository = Repository(session)
            if not repository.entry_exists(entry_id):
                raise NotFound(f"No entry has the id {entry_id!r}.")
            return repository.entry_revisions(entry_id, as_of)

    def entries(self, as_of: dt.datetime | None = None) -> list[Entry]:
        """The entries in force at `as_of`: the latest revision of each, retractions left out."""
        with self.database.reading() as session:
            return current(Repository(session).entry_revisions(as_of=as_of), as_of)

    # --- terms --------------------------------------------------------------------------------

    def add_term(self, data: object, author: str, term_id: str | None = None) -> Term:
        """Record a term of an agreement (revision 1)."""
        with self.database.writing() as session:
            repository = Repository(session)
            draft = parse_term(data, _source_finder(repository))
            term_id = term_id or new_id("trm")
            if repository.term_exists(term_id):
                raise InvalidInput.one("id", f"a term with the id {term_id!r} exists already.")
            at = _now(repository)
            term = dataclasses.replace(draft, id=term_id, revision=1, recorded_at=at, author=author)
            repository.add_term_revision(term, first=True)
            repository.record(at, author, "term.add", term.id, 1)
        return term

    def revise_term(
        self,
        term_id: str,
        data: object | None,
        author: str,
        reason: object,
        expected_revision: int | None = None,
    ) -> Term:
        """Append a revision of a term; without data it is a retraction."""
        reason = _reason(reason)
        with self.database.writing() as session:
            repository = Repository(session)
            if not repository.lock_term(term_id):
                raise NotFound(f"No term has the id {term_id!r}.")
            latest = repository.term_revisions(term_id)[-1]
            _check_expected(latest.revision, expected_revision, term_id)
            if data is None:
                if latest.retracted:
                    raise InvalidInput.one("id", f"term {term_id} is retracted already.")
                changed = dataclasses.replace(latest, retracted=True)
            else:
                changed = parse_term(data, _source_finder(repository))
            at = _now(repository)
            term = dataclasses.replace(
                changed,
                id=term_id,
                revision=latest.revision + 1,
                recorded_at=at,
                author=author,
                reason=reason,
            )
            repository.add_term_revision(term, first=False)
            action = "term.retract" if term.retracted else "term.revise"
            repository.record(at, author, action, term_id, term.revision)
        return term

    def terms(self, as_of: dt.datetime | None = None) -> list[Term]:
        """The terms in force at `as_of`."""
        with self.database.reading() as session:
            return current(Repository(session).term_revisions(as_of=as_of), as_of)

    # --- context notes ------------------------------------------------------------------------

    def add_note(self, data: object, author: str, note_id: str | None = None) -> Note:
        """Record a sourced context figure, kept out of every total."""
        with self.database.writing() as session:
            repository = Repository(session)
            draft = parse_note(data, _source_finder(repository))
            note_id = note_id or new_id("ctx")
            if repository.note_exists(note_id):
                raise InvalidInput.one("id", f"a note with the id {note_id!r} exists already.")
            at = _now(repository)
            note = dataclasses.replace(draft, id=note_id, recorded_at=at, author=author)
            repository.add_note(note)
            repository.record(at, author, "note.add", note.id)
        return note

    def notes(self, as_of: dt.datetime | None = None) -> list[Note]:
        with self.database.reading() as session:
            return Repository(session).notes(as_of)

    def exists(self, kind: str, record_id: str) -> bool:
        """Whether an entry, term or note with this id was ever recorded."""
        with self.database.reading() as session:
            repository = Repository(session)
            check = {
                "entry": repository.entry_exists,
                "term": repository.term_exists,
                "note": repository.note_exists,
            }[kind]
            return check(record_id)

    # --- what the ledger adds up to -----------------------------------------------------------

    def totals(self, as_of: dt.datetime | None = None, **filters: Any) -> Totals:
        """Day-by-day totals of the entries in force at `as_of` (DESIGN.md's six rules)."""
        return totals(self.entries(as_of), **filters)

    def schedule(self, as_of: dt.datetime | None = None, **key: Any) -> Schedule:
        """The terms' expected curve beside the reported one, day by day."""
        return schedule(self.terms(as_of), self.entries(as_of), **key)

    def still_held(self, as_of: dt.datetime | None = None, **filters: Any) -> tuple[StillHeld, ...]:
        """Captured minus released, rescued and found dead, per party."""
        return still_held(self.entries(as_of), **filters)

    # --- the ledger as a whole ----------------------------------------------------------------

    def revision(self) -> int:
        """The ledger's revision: the number of writes so far. It changes with every write."""
        with self.database.reading() as session:
            head = Repository(session).head()
        return head[0] if head else 0

    def counts(self) -> dict[str, int]:
        with self.database.reading() as session:
            return Repository(session).counts()

    def verify(self) -> list[Finding]:
        """Every integrity problem of the store; empty when all is well."""
        with self.database.reading() as session:
            repository = Repository(session)
            return verify_store(
                repository.all_sources_with_sentences(),
                repository.all_evidence(),
                repository.entry_revisions(),
                repository.term_revisions(),
            )

    # --- tokens -------------------------------------------------------------------------------

    def create_token(self, role: object, name: object = None) -> tuple[Token, str]:
        """Make a token; the secret is returned once and only its hash is kept."""
        role = tokens.check_role(role)
        token_id = new_id("tok")
        name = tokens.check_name(name if name is not None else f"{role}-{token_id[4:]}")
        secret = tokens.new_secret()
        with self.database.writing() as session:
            repository = Repository(session)
            if repository.token_name_taken(name):
                raise InvalidInput.one("name", f"a token named {name!r} exists already.")
            at = _now(repository)
            token = Token(id=token_id, name=name, role=role, created_at=at)
            repository.add_token(token, tokens.secret_sha256(secret))
            repository.record(at, SYSTEM, "token.add", token.id)
        return token, secret

    def authenticate(self, secret: str | None) -> Token:
        """The token a bearer secret belongs to; Unauthorized when unknown or revoked."""
        if not secret:
            raise Unauthorized(
                "Send 'Authorization: Bearer <token>'; make one with "
                "'exchange-ledger token create --role editor'."
            )
        with self.database.reading() as session:
            found = Repository(session).token_by_secret_sha256(tokens.secret_sha256(secret))
        if found is None or not tokens.same_secret(found[1], secret) or found[0].revoked_at:
            raise Unauthorized("The bearer token is not known or has been revoked.")
        return found[0]


def _source_finder(repository: Repository) -> Callable[[str], Source | None]:
    cache: dict[str, Source | None] = {}

    def find(source_id: str) -> Source | None:
        if source_id not in cache:
            cache[source_id] = repository.source(source_id)
        return cache[source_id]

    return find


def _now(repository: Repository) -> dt.datetime:
    """Now, but never before the last write, so `as_of` always sees writes in order."""
    now = dt.datetime.now(dt.UTC)
    head = repository.head()
    if head is not None and head[1] >= now:
        return head[1] + dt.timedelta(microseconds=1)
    return now


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput.one("reason", "is required: say why the entry changes.")
    if len(reason) > MAX_REASON:
        raise InvalidInput.one("reason", f"is longer than {MAX_REASON} characters.")
    return reason.strip()


def _check_expected(latest: int, expected: int | None, record_id: str) -> None:
    if expected is not None and expected != latest:
        raise StaleRevision(
            f"{record_id} is at revision {latest}, not {expected}; fetch it again and "
            "re-apply your change."
        )
