"""Who may write: tokens (made, revoked, authenticated) and writes made once per key."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from ledger import idempotency, tokens
from ledger.cases.base import SYSTEM, LedgerBase, new_id
from ledger.errors import InvalidInput, NotFound, Unauthorized
from ledger.idempotency import StoredResponse
from ledger.records import Token


class Access(LedgerBase):
    """Tokens and idempotent writes."""

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
            with self.writing() as unit:
                replay = _replay(unit.records.stored_response(token_id, key), fingerprint)
                if replay is not None:
                    return replay, True
                response = write()
                if 200 <= response.status < 300:
                    unit.records.store_response(token_id, key, fingerprint, response, unit.now())
                return response, False
        except IntegrityError:
            with self.reading() as unit:
                replay = _replay(unit.records.stored_response(token_id, key), fingerprint)
            if replay is None:
                raise
            return replay, True

    def create_token(self, role: object, name: object = None) -> tuple[Token, str]:
        """Make a token; the secret is returned once and only its hash is kept."""
        role = tokens.check_role(role)
        token_id = new_id("tok")
        name = tokens.check_name(name if name is not None else f"{role}-{token_id[4:]}")
        secret = tokens.new_secret()
        with self.writing() as unit:
            if name.casefold() in tokens.RESERVED or unit.records.token_name_taken(name):
                raise InvalidInput.one(
                    "name",
                    f"{name!r} is taken: a token, or the author of a write in the ledger, bears "
                    "it (in some case); token names name authors, so each is one author's.",
                )
            at = unit.now()
            token = Token(id=token_id, name=name, role=role, created_at=at)
            unit.records.add_token(token, tokens.secret_sha256(secret))
            unit.journal.record(at, SYSTEM, "token.add", token.id)
        return token, secret

    def revoke_token(self, which: str) -> Token:
        """Revoke a token, named by its id or name; it is refused from then on."""
        with self.writing() as unit:
            at = unit.now()
            token = unit.records.revoke_token(which, at)
            if token is None:
                raise NotFound(f"No token has the id or name {which!r}, or it is revoked.")
            unit.journal.record(at, SYSTEM, "token.revoke", token.id)
        return token

    def tokens(self) -> list[Token]:
        """Every token (never its secret), oldest first."""
        with self.reading() as unit:
            return unit.records.tokens()

    def authenticate(self, secret: str | None) -> Token:
        """The token a bearer secret belongs to; Unauthorized when unknown or revoked."""
        if not secret:
            raise Unauthorized(
                "Send 'Authorization: Bearer <token>'; make one with "
                "'exchange-ledger token create --role editor'."
            )
        with self.reading(snapshot=False) as unit:
            found = unit.records.token_by_secret_sha256(tokens.secret_sha256(secret))
        if found is None or not tokens.same_secret(found[1], secret) or found[0].revoked_at:
            raise Unauthorized("The bearer token is not known or has been revoked.")
        return found[0]


def _replay(stored: tuple[str, StoredResponse] | None, fingerprint: str) -> StoredResponse | None:
    if stored is None:
        return None
    if stored[0] != fingerprint:
        raise InvalidInput.one(
            "Idempotency-Key",
            "was used before for a different request; use a new key for a new request.",
        )
    return stored[1]
