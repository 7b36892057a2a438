"""Context notes: sourced figures that are not movements of people and enter no total."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from api.auth import SECURITY, current_token, writes
from api.caching import by_revision
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import idempotent
from api.pagination import Blueprint, page_of
from api.schemas.common import AsOfArgs
from api.schemas.entries import NoteInSchema, NoteSchema

blp = Blueprint(
    "notes",
    __name__,
    url_prefix="/v1/notes",
    description="Sourced context figures, kept out of every total.",
)


@blp.route("")
class Notes(MethodView):
    @blp.doc(security=SECURITY)
    @blp.extra_parameters(IDEMPOTENCY_DOC)
    @writes()
    @idempotent
    @blp.arguments(NoteInSchema())
    @blp.response(201, NoteSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Record a context figure with its evidence."""
        return current_app.extensions["ledger"].add_note(data, current_token().name)

    @by_revision
    @blp.arguments(AsOfArgs(), location="query")
    @blp.response(200, NoteSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """Every context note."""
        notes = current_app.extensions["ledger"].notes(args.get("as_of"))
        return page_of(notes, pagination_parameters)
