"""Records revised by appending: entries, terms and exchanges are recorded (revision 1),
revised and retracted (a later revision each), and read as they stood at any moment."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger import ownership
from ledger import sources as texts
from ledger.cases.base import new_id
from ledger.cases.figures import Figures
from ledger.cases.read_model import ReadModel
from ledger.errors import InvalidInput, NotFound, StaleRevision, StateConflict
from ledger.records import Token, check_record_id
from ledger.storage.repository import Repository

MAX_REASON = 2_000


@dataclass(frozen=True)
class Revisable:
    """How one kind of record (entries, terms or exchanges) is checked and stored."""

    noun: str
    prefix: str
    parse: Callable[..., Any]
    exists: Callable[[Repository, str], bool]
    lock: Callable[[Repository, str], bool]
    append: Callable[[Repository, Any, bool], None]
    revisions: Callable[[Repository, str | None, dt.datetime | None], list[Any]]
    # What must hold before a record of this kind is retracted (ledger, id); raises if not.
    retractable: Callable[[Figures, str], None] = lambda _ledger, _record_id: None


class Revising(ReadModel):
    """The append path every revisable record takes (checked against the ledger as it
    stands, so it stands on `Figures`)."""

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
        draft = kind.parse(data, self.source_finder(), self.exchange_finder())
        if record_id is not None:
            check_record_id(record_id, kind.prefix)
        with self.writing() as unit:
            records = unit.records
            if record_id is not None and kind.exists(records, record_id):
                raise InvalidInput.one("id", f"{kind.noun} {record_id!r} exists already.")
            at = unit.now()
            record = dataclasses.replace(
                draft,
                id=record_id or new_id(kind.prefix),
                revision=1,
                recorded_at=at,
                author=author,
            )
            ownership.written_by(records, record.id, 1, by)
            kind.append(records, record, True)
            unit.journal.record(at, author, f"{kind.noun}.add", record.id, 1, written=record)
        return record

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
            None if data is None else kind.parse(data, self.source_finder(), self.exchange_finder())
        )
        with self.writing() as unit:
            records = unit.records
            if not kind.lock(records, record_id):
                raise NotFound(f"No {kind.noun} has the id {record_id!r}.")
            latest = kind.revisions(records, record_id, None)[-1]
            check_expected(latest.revision, expected_revision, record_id)
            if draft is not None:
                ownership.check_may_revise(records, latest, by)
                changed = draft
            elif latest.retracted:
                raise StateConflict.one(
                    "id",
                    f"{kind.noun} {record_id} is retracted already (revision "
                    f"{latest.revision}); its history keeps it.",
                )
            else:
                ownership.check_may_retract(records, record_id, by)
                kind.retractable(self, record_id)
                changed = dataclasses.replace(latest, retracted=True)
            at = unit.now()
            record = dataclasses.replace(
                changed,
                id=record_id,
                revision=latest.revision + 1,
                recorded_at=at,
                author=author,
                reason=reason,
            )
            kind.append(records, record, False)
            ownership.written_by(records, record_id, record.revision, by)
            action = "retract" if record.retracted else "revise"
            unit.journal.record(
                at, author, f"{kind.noun}.{action}", record_id, record.revision, written=record
            )
        return record

    def _history(self, kind: Revisable, record_id: str, as_of: dt.datetime | None) -> list[Any]:
        with self.reading() as unit:
            if not kind.exists(unit.records, record_id):
                raise NotFound(f"No {kind.noun} has the id {record_id!r}.")
            history = kind.revisions(unit.records, record_id, as_of)
        if not history:
            raise NotFound(
                f"{kind.noun.capitalize()} {record_id!r} did not exist yet at "
                f"{as_of.isoformat() if as_of else 'that moment'}."
            )
        return history


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


def check_expected(latest: int, expected: int | None, record_id: str) -> None:
    """An If-Match revision that is not the latest is refused: the change was made on a stale
    copy."""
    if expected is not None and expected != latest:
        raise StaleRevision(
            f"{record_id} is at revision {latest}, not {expected}; fetch it again and "
            "re-apply your change."
        )
