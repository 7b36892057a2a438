"""Who may change a record, by the token of each of its revisions (storage's revision_token).

The token that wrote a record's revision 1 owns it: it may retract it without the admin role.
A retraction made by an admin, or with no token (the command line, the seed), is revised back
only by an admin. Writes made without a token are the operator's, so no check applies to them.
"""

from __future__ import annotations

from typing import Any

from ledger import tokens
from ledger.errors import Forbidden
from ledger.records import Token
from ledger.storage.repository import Repository


def written_by(repository: Repository, record_id: str, revision: int, by: Token | None) -> None:
    """Keep which token wrote a revision (none for writes made without one)."""
    if by is not None:
        repository.add_revision_token(record_id, revision, by.id)


def check_may_retract(repository: Repository, record_id: str, by: Token | None) -> None:
    """Only the record's owner, or an admin, retracts it."""
    if by is None or tokens.may(by.role, "retract_others"):
        return
    owner = repository.revision_token(record_id, 1)
    if owner is None or owner.id != by.id:
        tokens.require(by.role, "retract_others")


def check_may_revise(repository: Repository, latest: Any, by: Token | None) -> None:
    """Only an admin revises back what an admin, or the command line, retracted."""
    if by is None or not latest.retracted or tokens.may(by.role, "retract_others"):
        return
    retractor = repository.revision_token(latest.id, latest.revision)
    if retractor is None or tokens.may(retractor.role, "retract_others"):
        who = f"{retractor.name!r}, an admin" if retractor else "the command line (no token)"
        raise Forbidden(f"{latest.id} was retracted by {who}: only an admin may revise it back.")
