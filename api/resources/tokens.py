"""Tokens over HTTP, for admins: the same as `exchange-ledger token create`."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.auth import SECURITY, writes
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import idempotent
from api.pagination import Blueprint
from ledger.records import ROLES

blp = Blueprint(
    "tokens",
    __name__,
    url_prefix="/v1/tokens",
    description="Bearer tokens for writing (admins only).",
)


class TokenInSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = fields.String(validate=validate.Length(min=1, max=100))


class TokenSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    token = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The secret, shown once; only its SHA-256 is kept. A retry replayed "
            "by its Idempotency-Key has null here: the token was made once, by the first answer."
        },
    )


@blp.route("")
class Tokens(MethodView):
    @blp.doc(security=SECURITY)
    @blp.extra_parameters(IDEMPOTENCY_DOC)
    @writes("tokens")
    @idempotent(secret=("token",))
    @blp.arguments(TokenInSchema())
    @blp.response(201, TokenSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Make a token; the secret is in this answer and nowhere else."""
        token, secret = current_app.extensions["ledger"].create_token(
            data["role"], data.get("name")
        )
        return {
            "id": token.id,
            "name": token.name,
            "role": token.role,
            "created_at": token.created_at,
            "token": secret,
        }
