"""`?dry_run=true` on a write: check it and answer what it would store and change, writing
nothing (no revision, no journal row, no idempotency record)."""

from __future__ import annotations

from flask import request
from marshmallow import Schema, ValidationError, fields

from ledger.errors import InvalidInput

NAME = "dry_run"
DOC = {
    "name": NAME,
    "in": "query",
    "required": False,
    "description": "true: check the entry and answer (200) what would be stored and what it "
    "would change (conflicts and implied counts added or settled, days whose totals move), "
    "writing nothing.",
    "schema": {"type": "boolean", "default": False},
}


class _DryRunArgs(Schema):
    dry_run = fields.Boolean(load_default=False)


def dry_run() -> bool:
    """Whether the request asks for a dry run; 422 naming the parameter if it is not a
    boolean."""
    given = request.args.get(NAME)
    if given is None:
        return False
    try:
        return bool(_DryRunArgs().load({NAME: given})[NAME])
    except ValidationError:
        raise InvalidInput.one(NAME, f"must be true or false, not {given!r}.") from None
