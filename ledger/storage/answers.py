"""Kept answers: what the service answered about the ledger as it stands, kept so that other
workers and later processes answer the same question at the same revision without computing
it again ("computed once per revision", across processes).

Derived data, never evidence: an answer is served only while the journal's head is the one it
was computed at (its number and its chain hash, so another history that reaches the same
number never matches) by the same version of the service, and `exchange-ledger verify`
computes each again and compares. Keeping one drops those of every other revision.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

from sqlalchemy import and_, delete, insert, select
from sqlmodel import Session

from ledger.storage.journal import Journal
from ledger.storage.repository import Repository
from ledger.storage.tables import JournalRow, KeptAnswerRow

KEPT = KeptAnswerRow.__table__
JOURNAL = JournalRow.__table__
# Fast, and JSON shrinks several times: what is read back is small.
LEVEL = 1
MAX_BYTES = 64 * 1024 * 1024  # larger answers are computed every time
MAX_ADDRESS = 2048


@dataclass(frozen=True)
class Kept:
    address: str
    revision: int
    body: bytes | None  # None: its stored bytes are corrupted (they do not decompress)


def _opened(stored: bytes) -> bytes | None:
    """A kept answer's bytes, or None when what is stored does not decompress: a corrupted
    kept answer is never served (the answer is computed instead), and verify names it."""
    try:
        return zlib.decompress(stored)
    except zlib.error:
        return None


def keepable(address: str) -> bool:
    """Whether an address can be a key: not too long, and no NUL (PostgreSQL stores none)."""
    return len(address) <= MAX_ADDRESS and "\x00" not in address


class Answers:
    """Reads and keeps answers within one session."""

    def __init__(self, session: Session) -> None:
        self.session, self.connection = session, session.connection()

    def get(self, address: str, revision: int, version: str) -> bytes | None:
        """The answer kept for this address at this revision of this history, if any."""
        if not keepable(address):
            return None
        same_head = and_(
            JOURNAL.c.seq == KEPT.c.revision, JOURNAL.c.chain_sha256 == KEPT.c.chain_sha256
        )
        row = self.connection.execute(
            select(KEPT.c.body)
            .join(JOURNAL, same_head)
            .where(
                KEPT.c.address == address,
                KEPT.c.revision == revision,
                KEPT.c.service_version == version,
            )
        ).first()
        return None if row is None else _opened(row[0])

    def put(self, address: str, revision: int, version: str, body: bytes) -> bool:
        """Keep an answer computed at `revision`; False when it is too large or the revision
        is not the journal's head any more (a write came in since)."""
        if len(body) > MAX_BYTES or not keepable(address):
            return False
        head = Journal(Repository(self.session)).head()
        if head is None or head.seq != revision or head.chain_sha256 is None:
            return False
        self.connection.execute(
            delete(KEPT).where((KEPT.c.address == address) | (KEPT.c.revision != revision))
        )
        self.connection.execute(
            insert(KEPT),
            {
                "address": address,
                "revision": revision,
                "chain_sha256": head.chain_sha256,
                "service_version": version,
                "body": zlib.compress(body, LEVEL),
                "kept_at": dt.datetime.now(dt.UTC),
            },
        )
        return True

    def forget(self) -> int:
        """Drop every kept answer; how many there were."""
        return self.connection.execute(delete(KEPT)).rowcount

    def all(self) -> list[Kept]:
        """Every kept answer, whatever its revision."""
        rows = self.connection.execute(
            select(KEPT.c.address, KEPT.c.revision, KEPT.c.body).order_by(KEPT.c.address)
        )
        return [Kept(address, revision, _opened(body)) for address, revision, body in rows]
