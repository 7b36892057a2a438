"""The journal: one row per write, in order, each sealed into the hash chain."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert
from sqlmodel import select

from ledger import chain
from ledger.chain import GENESIS, Link
from ledger.errors import LedgerError
from ledger.records import Entry, Source, Term
from ledger.sources import sha256_of
from ledger.storage.repository import Repository, _entry
from ledger.storage.tables import EntryRevisionRow, EvidenceRow, JournalRow, TokenRow

BATCH = 2_000
READ_BACK = object()  # Journal.record's default: hash the write as read back from the store
JOURNAL = JournalRow.__table__
NEWEST = select(*JOURNAL.c).order_by(JOURNAL.c.seq.desc()).limit(1)
APPEND = insert(JOURNAL).returning(JOURNAL.c.seq)
# In a unit's session: each row it appended, with the record as the write stored it.
RECORDED = "ledger.journal.recorded"


class HashesRemoved(LedgerError):
    """A journal row lost the hashes it was sealed with."""

    status = 409
    title = "Journal tampered with"


class Journal:
    """Appends to and reads the journal through a repository's session."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository
        self.session = repository.session

    def head(self, as_of: dt.datetime | None = None) -> Link | None:
        """The newest row (by `as_of`): its seq is the ledger's revision, its hash the chain's."""
        query = NEWEST if as_of is None else NEWEST.where(JOURNAL.c.recorded_at <= as_of)
        row = self.repository.connection.execute(query).first()
        return None if row is None else Link(**row._mapping)

    def record(
        self,
        at: dt.datetime,
        author: str,
        action: str,
        subject: str,
        revision: int | None = None,
        written: Any = READ_BACK,
    ) -> Link:
        """Append and seal the row for a write whose records are already flushed.

        `written` is the record as the write stored it (a source with its text replaced by the
        text's hash, an entry or term revision); without it, the record is read back. Either
        way `verify` recomputes the hash from the store, so a record hashed here that differs
        from what was stored is found at once.

        `at` must follow the newest row's moment (`Unit.now`), so that `as_of` sees writes in
        journal order.
        """
        self.session.flush()
        head = self.head()
        if head is not None and head.recorded_at >= at:
            raise RuntimeError(f"{action} {subject} is stamped {at}, before {head}")
        link = Link(0, action, subject, revision, at, author, None, None)
        content = self.content_sha256(link) if written is READ_BACK else self.content_of(written)
        if head is not None and head.chain_sha256 is None:
            # Extending the chain from nothing would bury the row that lost its hashes.
            raise HashesRemoved(
                f"{head}, the newest write, has no hashes: they were removed, so nothing more "
                "is written. Run 'exchange-ledger verify' and restore from a backup."
            )
        previous = head.chain_sha256 if head else GENESIS
        link = dataclasses.replace(
            link, content_sha256=content, chain_sha256=chain.chain_sha256(previous, link, content)
        )
        values = {f.name: getattr(link, f.name) for f in dataclasses.fields(link)}
        del values["seq"]
        seq = self.repository.connection.execute(APPEND, values).scalar_one()
        link = dataclasses.replace(link, seq=seq)
        self.session.info.setdefault(RECORDED, []).append((link, written))
        return link

    def recorded(self) -> list[tuple[Link, Any]] | None:
        """The rows this unit appended, oldest first, each with the record it wrote (what a
        read model kept beside the write moves on by, without reading it back); None when
        one of them was recorded without its record (READ_BACK: read it from the store)."""
        found = self.session.info.get(RECORDED, [])
        return None if any(written is READ_BACK for _, written in found) else list(found)

    @staticmethod
    def content_of(written: Any) -> str:
        """The content hash of a record as a write stores it."""
        return chain.content_sha256(hashed(written))

    def links(self) -> Iterator[Link]:
        """Every row, oldest first."""
        query = select(JournalRow).order_by(JournalRow.seq).execution_options(yield_per=BATCH)
        for rows in self.session.exec(query).partitions():
            yield from (_link(row) for row in rows)

    def seal(self) -> int:
        """Seal the rows written before the chain existed, in order; returns how many.

        Only the migration that adds the chain calls this. Rows without hashes after a sealed
        row had their hashes removed, and resealing them would hide what was changed.
        """
        previous, sealed, seen_sealed = GENESIS, 0, None
        for link in list(self.links()):
            if link.chain_sha256 is not None and link.content_sha256 is not None:
                previous, seen_sealed = link.chain_sha256, link
                continue
            if seen_sealed is not None:
                raise HashesRemoved(
                    f"{link} has no hashes but follows {seen_sealed}, which is sealed: its "
                    "hashes were removed, and sealing it again would hide what was changed. "
                    "Run 'exchange-ledger verify' and restore from a backup."
                )
            content = self.content_sha256(link)
            row = self.session.get(JournalRow, link.seq)
            row.content_sha256 = content
            row.chain_sha256 = chain.chain_sha256(previous, link, content)
            self.session.add(row)
            sealed += 1
            previous = row.chain_sha256
        self.session.flush()
        return sealed

    def content_sha256(self, link: Link) -> str:
        """The hash of what the row's write wrote, recomputed from the store as it is now."""
        if link.action == "entry.import":
            return self._import_sha256(link)
        return chain.content_sha256(self._content(link))

    def _content(self, link: Link) -> Any:
        repository, noun = self.repository, link.action.split(".")[0]
        if noun == "source":
            source = repository.source(link.subject)
            return None if source is None else hashed(as_hashed(source))
        if noun in ("entry", "term", "exchange"):
            history = getattr(repository, f"{noun}_revisions")(link.subject)
            found = [r for r in history if r.revision == link.revision]
            return hashed(found[0]) if found else None
        if noun == "note":
            notes = [n for n in repository.notes() if n.id == link.subject]
            return hashed(notes[0]) if notes else None
        if noun == "token":
            row = self.session.get(TokenRow, link.subject)
            if row is None:
                return None
            if link.action == "token.revoke":
                return {"id": row.id, "revoked_at": row.revoked_at}
            return {
                "id": row.id,
                "name": row.name,
                "role": row.role,
                "secret_sha256": row.secret_sha256,
                "created_at": row.created_at,
            }
        return {"unknown action": link.action}

    def _import_sha256(self, link: Link) -> str:
        # A bulk import is one write of many entries: hashed as it streams, never all in memory.
        digest = hashlib.sha256()
        query = (
            select(EntryRevisionRow)
            .where(
                EntryRevisionRow.recorded_at == link.recorded_at,
                EntryRevisionRow.author == link.author,
                EntryRevisionRow.revision == 1,
            )
            .order_by(EntryRevisionRow.entry_id)
            .execution_options(yield_per=BATCH)
        )
        for rows in self.session.exec(query).partitions():
            evidence = self.repository._evidence(
                EvidenceRow.entry_revision_id, [r.id for r in rows]
            )
            for row in rows:
                digest.update(chain.canonical(hashed(_entry(row, evidence[row.id]))))
        return digest.hexdigest()


def hashed(record: Any) -> Any:
    """A record as the chain hashes it. Entry and term revisions that use nothing added by
    migration 0006 (one kind, one nationality, no range top, exchange or batch) hash in the
    shape they had when they were written, so their hashes still hold after it."""
    found = _as_dict(record)
    if isinstance(record, Entry):
        for name in ("kind", "nationality"):
            value = found[name]
            if isinstance(value, tuple | list) and len(value) == 1:
                found[name] = value[0]
        for name in ("count_high", "exchange", "batch"):
            if found[name] is None:
                del found[name]
    elif isinstance(record, Term) and found["exchange"] is None:
        del found["exchange"]
    return found


# The field names of each kind of record, looked up once.
_FIELDS: dict[type, tuple[str, ...]] = {}


def _as_dict(value: Any) -> Any:
    """dataclasses.asdict(value) for the ledger's records, whose values are immutable, without
    its deep copy of each value, which took most of the time of hashing a long source."""
    kind = type(value)
    names = _FIELDS.get(kind)
    if names is None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            names = _FIELDS[kind] = tuple(field.name for field in dataclasses.fields(value))
        elif isinstance(value, tuple) and hasattr(value, "_fields"):
            return kind(*(_as_dict(item) for item in value))
        elif isinstance(value, list | tuple):
            return kind(_as_dict(item) for item in value)
        elif isinstance(value, dict):
            return {_as_dict(key): _as_dict(item) for key, item in value.items()}
        else:
            return value
    return {name: _as_dict(getattr(value, name)) for name in names}


def as_hashed(source: Source) -> Source:
    """A source as the chain hashes it: its text stands in by the text's own hash."""
    return dataclasses.replace(source, text=sha256_of(source.text))


def _link(row: JournalRow) -> Link:
    return Link(
        row.seq,
        row.action,
        row.subject,
        row.revision,
        row.recorded_at,
        row.author,
        row.content_sha256,
        row.chain_sha256,
    )
