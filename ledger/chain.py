"""The journal's hash chain: every write stores the hash of what it wrote and of the write
before it, as append-only transparency logs do, so a row altered, removed or slipped in behind
the ledger's back is found by recomputing the chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class Link:
    """One journal row as the chain sees it."""

    seq: int
    action: str
    subject: str
    revision: int | None
    recorded_at: dt.datetime
    author: str
    content_sha256: str | None
    chain_sha256: str | None

    def __str__(self) -> str:
        what = f"{self.action} {self.subject}"
        return f"journal {self.seq} ({what}{f' revision {self.revision}' if self.revision else ''})"


def canonical(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, ISO dates, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    ).encode("utf-8")


def content_sha256(value: Any) -> str:
    """The hash of what a write wrote (as read back from the store)."""
    return hashlib.sha256(canonical(value)).hexdigest()


def chain_sha256(previous: str, link: Link, content: str) -> str:
    """The hash that ties a write to the one before it."""
    return hashlib.sha256(
        canonical(
            {
                "previous": previous,
                "action": link.action,
                "subject": link.subject,
                "revision": link.revision,
                "recorded_at": link.recorded_at,
                "author": link.author,
                "content": content,
            }
        )
    ).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise TypeError(f"cannot hash a {type(value).__name__}")
