"""Entries and terms share one shape of resource: add, list, read, revise with If-Match,
retract, and read the history. One factory builds both blueprints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.auth import SECURITY, current_token, writes
from api.caching import by_revision, tagged
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import idempotent
from api.pagination import Blueprint, page_of
from api.problems import MEDIA_TYPE as PROBLEM
from api.schemas.common import AsOfArgs, ProblemSchema
from ledger.errors import LedgerError, StaleRevision
from ledger.selection import Selection

IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The ETag of the revision the change is based on.",
    "schema": {"type": "string"},
}
IF_MATCH_OPTIONAL = {**IF_MATCH, "required": False}
ETAG = re.compile(r"\A(?P<id>[a-z]{3}_[a-z0-9_]+)\.r(?P<revision>[0-9]{1,9})\Z")


class PreconditionRequired(LedgerError):
    status = 428
    title = "Precondition required"


class RetractionArgs(Schema):
    reason = fields.String(
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "Why the record is retracted."},
    )


@dataclass(frozen=True)
class Resource:
    """What differs between entries and terms."""

    name: str  # "entries"
    noun: str  # "entry"
    in_schema: type[Schema]
    change_schema: type[Schema]
    out_schema: type[Schema]
    list_args: type[Schema]
    description: str


def etag_of(record: Any) -> str:
    """A record's ETag names its revision, so If-Match says which revision a change is on."""
    return f"{record.id}.r{record.revision}"


def expected_revision(record_id: str, required: bool) -> int | None:
    """The revision the client's If-Match names; 428 without one, 412 for another record."""
    if not request.if_match:
        if required:
            raise PreconditionRequired(
                f"Send If-Match with the ETag of {record_id} you read (GET it first), so no "
                "one else's change is overwritten."
            )
        return None
    if request.if_match.star_tag:
        return None
    for tag in request.if_match.as_set():
        # werkzeug reads `If-Match: ""` as the tag None.
        found = ETAG.match(tag) if isinstance(tag, str) else None
        if found and found["id"] == record_id:
            return int(found["revision"])
    raise StaleRevision(f"If-Match names no revision of {record_id}; GET it again.")


def blueprint(resource: Resource) -> Blueprint:
    """The blueprint of one revisable resource."""
    blp = Blueprint(
        resource.name, __name__, url_prefix=f"/v1/{resource.name}", description=resource.description
    )

    def call(method: str, *args: Any, **kwargs: Any) -> Any:
        # call("revise_{noun}", ...) is ledger.revise_entry(...) for entries.
        name = method.format(noun=resource.noun, name=resource.name)
        return getattr(current_app.extensions["ledger"], name)(*args, **kwargs)

    one_endpoint = f"{resource.name}.{resource.noun.capitalize()}One"

    class Collection(MethodView):
        @blp.doc(security=SECURITY, parameters=[IDEMPOTENCY_DOC])
        @writes()
        @idempotent
        @blp.arguments(resource.in_schema)
        @blp.response(201, resource.out_schema)
        @blp.alt_response(
            422, schema=ProblemSchema, description="A field is wrong.", content_type=PROBLEM
        )
        def post(self, data: dict[str, Any]) -> Any:
            record = call("add_{noun}", data, current_token().name)
            location = url_for(one_endpoint, record_id=record.id)
            return record, 201, {"Location": location, "ETag": f'"{etag_of(record)}"'}

        @by_revision
        @blp.arguments(resource.list_args, location="query")
        @blp.response(200, resource.out_schema(many=True))
        @blp.paginate()
        def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Any]:
            as_of = args.pop("as_of", None)
            if "from_" in args:
                args["start"] = args.pop("from_")
            if "to" in args:
                args["end"] = args.pop("to")
            records = call("{name}", as_of, Selection(**args))
            return page_of(records, pagination_parameters)

    class One(MethodView):
        @blp.arguments(AsOfArgs, location="query")
        @blp.response(200, resource.out_schema)
        def get(self, args: dict[str, Any], record_id: str) -> Response:
            record = call("{noun}", record_id, args.get("as_of"))
            return tagged(resource.out_schema().dump(record), etag_of(record))

        @blp.doc(security=SECURITY, parameters=[IF_MATCH])
        @writes()
        @blp.arguments(resource.change_schema)
        @blp.response(200, resource.out_schema, description="The new revision.")
        @blp.alt_response(
            412, schema=ProblemSchema, description="If-Match is stale.", content_type=PROBLEM
        )
        @blp.alt_response(
            428, schema=ProblemSchema, description="If-Match is missing.", content_type=PROBLEM
        )
        def put(self, data: dict[str, Any], record_id: str) -> Any:
            expected = expected_revision(record_id, required=True)
            reason = data.pop("reason")
            record = call("revise_{noun}", record_id, data, current_token().name, reason, expected)
            return record, 200, {"ETag": f'"{etag_of(record)}"'}

        @blp.doc(security=SECURITY, parameters=[IF_MATCH_OPTIONAL])
        @writes()
        @blp.arguments(RetractionArgs, location="query")
        @blp.response(200, resource.out_schema, description="The retraction revision.")
        def delete(self, args: dict[str, Any], record_id: str) -> Any:
            expected = expected_revision(record_id, required=False)
            token = current_token()
            reason = args.get("reason") or _body_reason()
            record = call(
                "retract_{noun}", record_id, token.name, reason, expected, role=token.role
            )
            return record, 200, {"ETag": f'"{etag_of(record)}"'}

    class History(MethodView):
        @by_revision
        @blp.response(200, resource.out_schema(many=True))
        @blp.paginate()
        def get(self, record_id: str, pagination_parameters: Any) -> list[Any]:
            history = call("{noun}_history", record_id)
            return page_of(history, pagination_parameters)

    Collection.__doc__ = f"{resource.name.capitalize()}: add one, or list those in force."
    One.__name__ = f"{resource.noun.capitalize()}One"
    blp.route("")(Collection)
    blp.route("/<string:record_id>", endpoint=One.__name__)(One)
    blp.route("/<string:record_id>/revisions", endpoint="Revisions")(History)
    return blp


def _body_reason() -> Any:
    body = request.get_json(silent=True) if request.mimetype == "application/json" else None
    return body.get("reason") if isinstance(body, dict) else None
