"""Who may write, and what was answered: tokens (with the token behind each revision) and the
first answers to keyed requests (idempotency keys). A mixin of
`ledger.storage.repository.Repository`; tokens become records in `ledger.storage.rows`.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, bindparam, func, insert
from sqlmodel import Session, col, select

from ledger.idempotency import StoredResponse
from ledger.records import Token
from ledger.storage.rows import _token
from ledger.storage.tables import IdempotencyRow, JournalRow, RevisionTokenRow, TokenRow

# Built once: every request with a token runs it, and SQLAlchemy then finds its compiled form
# without rebuilding it.
TOKEN_BY_SECRET = select(*TokenRow.__table__.c).where(
    TokenRow.__table__.c.secret_sha256 == bindparam("secret")
)


class AccessRecords:
    """Reads and appends tokens and the answers to keyed requests (a part of `Repository`)."""

    session: Session
    connection: Connection  # Repository's: the unit of work's, asked of the session once

    # --- idempotency keys ----------------------------------------------------------------------

    def stored_response(self, token_id: str, key: str) -> tuple[str, StoredResponse] | None:
        """The fingerprint and first answer of a keyed request, if there was one."""
        row = self.session.get(IdempotencyRow, (token_id, key))
        if row is None:
            return None
        return row.fingerprint, StoredResponse(row.status, row.body, json.loads(row.headers))

    def store_response(
        self, token_id: str, key: str, fingerprint: str, response: StoredResponse, at: dt.datetime
    ) -> None:
        self.session.add(
            IdempotencyRow(
                token_id=token_id,
                key=key,
                fingerprint=fingerprint,
                status=response.status,
                body=response.body,
                headers=json.dumps(response.headers),
                recorded_at=at,
            )
        )
        self.session.flush()

    # --- tokens -------------------------------------------------------------------------------

    def add_token(self, token: Token, secret_sha256: str) -> None:
        self.session.add(
            TokenRow(
                id=token.id,
                name=token.name,
                role=token.role,
                secret_sha256=secret_sha256,
                created_at=token.created_at,
            )
        )

    def token_name_taken(self, name: str) -> bool:
        """Whether a token, or any write in the journal, bears this name (in any case)."""
        folded = func.lower(name)
        tokens = select(TokenRow.id).where(func.lower(TokenRow.name) == folded)
        authors = select(JournalRow.seq).where(func.lower(JournalRow.author) == folded)
        return any(self.session.exec(query.limit(1)).first() for query in (tokens, authors))

    def add_revision_token(self, record_id: str, revision: int, token_id: str) -> None:
        self.connection.execute(
            insert(RevisionTokenRow.__table__),
            {"record_id": record_id, "revision": revision, "token_id": token_id},
        )

    def revision_token(self, record_id: str, revision: int) -> Token | None:
        """The token that wrote a revision, if a token did (revision 1's owns the record)."""
        row = self.session.exec(
            select(TokenRow)
            .join(RevisionTokenRow, col(RevisionTokenRow.token_id) == col(TokenRow.id))
            .where(RevisionTokenRow.record_id == record_id, RevisionTokenRow.revision == revision)
        ).first()
        return None if row is None else _token(row)

    def revoke_token(self, which: str, at: dt.datetime) -> Token | None:
        row = self.session.exec(
            select(TokenRow).where(
                (TokenRow.id == which) | (TokenRow.name == which),
                col(TokenRow.revoked_at).is_(None),
            )
        ).first()
        if row is None:
            return None
        row.revoked_at = at
        self.session.add(row)
        self.session.flush()
        return _token(row)

    def tokens(self) -> list[Token]:
        rows = self.session.exec(select(TokenRow).order_by(TokenRow.created_at, TokenRow.id))
        return [_token(row) for row in rows]

    def token_by_secret_sha256(self, secret_sha256: str) -> tuple[Token, str] | None:
        row = self.connection.execute(TOKEN_BY_SECRET, {"secret": secret_sha256}).first()
        if row is None:
            return None
        return _token(row), row.secret_sha256
