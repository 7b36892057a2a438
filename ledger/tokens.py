"""API tokens: a random secret shown once, kept only as its SHA-256, and the roles' rights."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from ledger.errors import Forbidden, InvalidInput
from ledger.records import ROLES

PREFIX = "elt_"
NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}\Z")

# What each role may do. Editors add and correct the ledger; admins may also retract
# what others recorded and manage tokens.
RIGHTS = {
    "editor": frozenset({"write"}),
    "admin": frozenset({"write", "retract_others", "tokens"}),
}


def new_secret() -> str:
    """A fresh bearer token: 256 random bits behind a recognisable prefix."""
    return PREFIX + secrets.token_urlsafe(32)


def secret_sha256(secret: str) -> str:
    """What is stored of a token: the SHA-256 of the secret (a random secret needs no salt)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def same_secret(stored_sha256: str, presented: str) -> bool:
    """Compare in constant time, so response times reveal nothing of the stored hash."""
    return hmac.compare_digest(stored_sha256, secret_sha256(presented))


def check_role(role: object) -> str:
    if role not in ROLES:
        raise InvalidInput.one("role", f"must be one of {', '.join(ROLES)}, not {role!r}.")
    return role


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise InvalidInput.one(
            "name",
            "must be 1 to 100 letters, digits, spaces or . _ @ - (it names the author of "
            "every revision made with the token).",
        )
    return name


# Authors of writes made without a token: the service itself (service.SYSTEM) and the seed
# loader (seed.AUTHOR). No token takes their names, even before they have written anything.
RESERVED = frozenset({"exchange-ledger", "seed"})


def may(role: str, right: str) -> bool:
    """Whether the role carries the right."""
    return right in RIGHTS.get(role, frozenset())


def require(role: str, right: str) -> None:
    """Raise Forbidden unless the role carries the right."""
    if not may(role, right):
        raise Forbidden(f"A token with the role {role!r} may not do this ({right}).")
