"""Revisions: which revision of each entry or term was in force at a moment (DESIGN.md, "as of").

Entries and terms are never changed in place; a change or a retraction is a new revision. The
ledger as it stood at `as_of` is the latest revision of each id recorded by then, less the ids
whose latest revision is a retraction.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar


class Revised(Protocol):
    """What `current` needs of a record: Entry and Term both have it."""

    @property
    def id(self) -> str: ...

    @property
    def revision(self) -> int: ...

    @property
    def recorded_at(self) -> dt.datetime | None: ...

    @property
    def retracted(self) -> bool: ...


R = TypeVar("R", bound=Revised)


def current(revisions: Iterable[R], as_of: dt.datetime | None = None) -> list[R]:
    """The latest revision of each id recorded by `as_of` (all when None), retractions left out."""
    latest: dict[str, R] = {}
    for record in revisions:
        if not _recorded_by(record, as_of):
            continue
        held = latest.get(record.id)
        if held is None or _rank(record) > _rank(held):
            latest[record.id] = record
    return [latest[i] for i in sorted(latest) if not latest[i].retracted]


def advanced(held: Sequence[R], newer: Iterable[R]) -> tuple[list[R], list[str]]:
    """What `current` gives of every revision, from the records in force at one moment
    (`held`, in the order of their ids, as `current` gives them) and the revisions recorded
    after it (`newer`): a later revision replaces its record, a retraction removes it. With
    the ids that changed."""
    latest: dict[str, R] = {}
    for record in newer:
        known = latest.get(record.id)
        if known is None or _rank(record) > _rank(known):
            latest[record.id] = record
    found = list(held)
    for record_id, record in sorted(latest.items()):
        i = bisect.bisect_left(found, record_id, key=_id)
        there = i < len(found) and found[i].id == record_id
        if record.retracted:
            if there:
                del found[i]
        elif there:
            found[i] = record
        else:
            found.insert(i, record)
    return found, sorted(latest)


def _id(record: Revised) -> str:
    return record.id


def _recorded_by(record: Revised, as_of: dt.datetime | None) -> bool:
    # A record that does not know when it was recorded (built in memory, never stored) is
    # taken as already there: as_of can only exclude what it can place in time.
    return as_of is None or record.recorded_at is None or record.recorded_at <= as_of


def _rank(record: Revised) -> tuple[int, str]:
    # Two records with one id and one revision number should not exist; if they do, the
    # choice between them must still not depend on the order they arrive in.
    return (record.revision, repr(record))
