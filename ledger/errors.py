"""Domain errors: each names the field at fault and says what a person can do about it."""

from __future__ import annotations

from collections.abc import Mapping


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(LedgerError):
    """One or more fields are wrong; `errors` maps each field to its messages."""

    status = 422
    title = "Invalid input"

    def __init__(self, errors: Mapping[str, list[str]], detail: str | None = None) -> None:
        self.errors = {name: list(messages) for name, messages in errors.items()}
        summary = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in self.errors.items())
        super().__init__(detail or summary)

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        return cls({field: [message]})


class StateConflict(InvalidInput):
    """The request is well formed but contradicts the record's state (a second retraction)."""

    status = 409
    title = "Conflict"


class NotFound(LedgerError):
    status = 404
    title = "Not found"


class StaleRevision(LedgerError):
    """A change was based on a revision that is no longer the current one."""

    status = 412
    title = "Precondition failed"


class TooLarge(LedgerError):
    status = 413
    title = "Content too large"


class Unauthorized(LedgerError):
    status = 401
    title = "Unauthorized"


class Forbidden(LedgerError):
    status = 403
    title = "Forbidden"


class Problems:
    """Collects field errors so that a caller hears of every problem at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)
