"""Idempotency keys: a retried write returns the first answer instead of writing twice."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ledger.errors import InvalidInput

# Printable ASCII only: a key is echoed into logs and compared byte for byte, and a control
# character in it is a header-injection attempt, not a key.
KEY = re.compile(r"\A[\x21-\x7e]{1,255}\Z")


@dataclass(frozen=True)
class StoredResponse:
    """The first answer to a keyed request, kept to be replayed."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def check_key(key: str) -> str:
    """A usable Idempotency-Key, or a message naming the header."""
    if not KEY.match(key):
        raise InvalidInput.one(
            "Idempotency-Key",
            "must be 1 to 255 printable ASCII characters without spaces (a UUID is ideal).",
        )
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests 'the same request' for one key."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()
