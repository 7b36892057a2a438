"""Entries and terms share one shape of resource: add, list, read, revise with If-Match,
retract, and read the history. One factory builds both blueprints."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from api.auth import SECURITY, current_token, writes
from api.caching import by_revision, tagged
from api.dry_run import DOC as DRY_RUN_DOC
from api.dry_run import dry_run
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import idempotent
from api.pagination import Blueprint, first_of, page_of
from api.problems import MEDIA_TYPE as PROBLEM
from api.schemas.common import AsOfArgs, ProblemSchema
from ledger.errors import InvalidInput, LedgerError, NotFound, StaleRevision
from ledger.records import ID_PATTERN
from ledger.selection import Selection

IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The ETag of the revision the change is based on.",
    "schema": {"type": "string"},
}
IF_MATCH_OPTIONAL = {
    **IF_MATCH,
    "required": False,
    "description": "The ETag of the revision retracted; without it, the current one is.",
}
REASON = {
    "name": "reason",
    "in": "query",
    "required": True,
    "description": "Why the record is retracted (1 to 2,000 characters). A client that cannot "
    "set a query may send it as `reason` in a JSON body instead.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 2000},
}
ETAG = re.compile(rf"\A(?P<id>{ID_PATTERN})\.r(?P<revision>[0-9]{{1,9}})\Z")


class RetractionSchema(Schema):
    """Why a record is retracted: `?reason=`, or `reason` in a JSON body."""

    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        error_messages={
            "required": "Say why it is retracted, as ?reason= or in a JSON body.",
            "null": "Say why it is retracted, as ?reason= or in a JSON body.",
        },
        metadata={"description": "Why the record is retracted."},
    )


def retraction() -> dict[str, Any]:
    """The retraction's reason from the query, else from the JSON body; 422 without one."""
    given = request.args.get("reason") or _body_reason()
    try:
        return RetractionSchema().load({} if given is None else {"reason": given})
    except ValidationError as error:
        raise InvalidInput(error.messages) from None  # type: ignore[arg-type]


class PreconditionRequired(LedgerError):
    status = 428
    title = "Precondition required"


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
    preview_schema: type[Schema] | None = None  # answers ?dry_run=true on POST and PUT


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
        if required:
            raise PreconditionRequired(
                f"If-Match: * names no revision of {record_id}: a correction must name the "
                "revision it corrects. GET it and send its ETag, so no one else's change is "
                "overwritten."
            )
        return None  # a retraction of whatever revision is current, as without If-Match
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
    noun, name = resource.noun, resource.name
    a_noun = f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"

    def call(method: str, *args: Any, **kwargs: Any) -> Any:
        # call("revise_{noun}", ...) is ledger.revise_entry(...) for entries.
        return getattr(current_app.extensions["ledger"], method.format(noun=noun, name=name))(
            *args, **kwargs
        )

    def problem(status: int, description: str) -> Callable[[Any], Any]:
        return blp.alt_response(
            status, schema=ProblemSchema, description=description, content_type=PROBLEM
        )

    def existing(view: Callable[..., Any]) -> Callable[..., Any]:
        """404 for an unknown id before the request's other checks (If-Match, the body)."""

        @wraps(view)
        def found(*args: Any, record_id: str, **kwargs: Any) -> Any:
            if not current_app.extensions["ledger"].exists(noun, record_id):
                raise NotFound(f"No {noun} has the id {record_id!r}.")
            return view(*args, record_id=record_id, **kwargs)

        return found

    def if_match(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """The revision If-Match names, read before the body: 428 comes before any 422."""

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(view)
            def checked(*args: Any, record_id: str, **kwargs: Any) -> Any:
                expected = expected_revision(record_id, required=required)
                return view(*args, record_id=record_id, expected=expected, **kwargs)

            return checked

        return decorator

    one_endpoint = f"{name}.{noun.capitalize()}One"
    not_found = problem(404, f"No {noun} has that id.")

    previews = resource.preview_schema is not None
    previewed = (
        blp.alt_response(
            200,
            schema=resource.preview_schema,
            description="With dry_run=true: what would be stored and changed; nothing is.",
        )
        if resource.preview_schema is not None
        else (lambda view: view)
    )
    dry_run_doc = [DRY_RUN_DOC] if previews else []

    def answered(found: Any) -> Response:
        assert resource.preview_schema is not None
        return current_app.json.response(resource.preview_schema().dump(found))

    # A PUT answers 200 with the new revision, or with a dry run's preview: both documented.
    out_name = resource.out_schema.__name__.removesuffix("Schema")
    revised_doc: Any = resource.out_schema
    if resource.preview_schema is not None:
        preview_name = resource.preview_schema.__name__.removesuffix("Schema")
        revised_doc = {
            "oneOf": [
                {"$ref": f"#/components/schemas/{out_name}"},
                {"$ref": f"#/components/schemas/{preview_name}"},
            ]
        }

    class Collection(MethodView):
        @blp.doc(security=SECURITY, summary=f"Record a new {noun} with its evidence.")
        @blp.extra_parameters(IDEMPOTENCY_DOC, *dry_run_doc)
        @writes()
        @idempotent
        # A schema instance, not its class: webargs would build one from a class per request.
        @blp.arguments(resource.in_schema())
        @blp.response(201, resource.out_schema, description=f"The {noun}, revision 1.")
        @previewed
        @problem(422, "A field is wrong, or a quote is not in its sentence; nothing is written.")
        def post(self, data: dict[str, Any]) -> Any:
            """Every quote is checked against its sentence; the answer's ETag and Location name
            the new revision."""
            if previews and dry_run():
                return answered(call("preview_{noun}", data, current_token().name))
            # An id the client chose (where the schema takes one): checked like the seed's.
            token = current_token()
            record = call("add_{noun}", data, token.name, data.pop("id", None), by=token)
            location = url_for(one_endpoint, record_id=record.id)
            return record, 201, {"Location": location, "ETag": f'"{etag_of(record)}"'}

        @by_revision
        @blp.doc(summary=f"The {name} in force (at as_of), filtered.")
        @blp.arguments(resource.list_args(), location="query")
        @blp.response(200, resource.out_schema(many=True))
        @blp.paginate()
        def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Any]:
            """The latest revision of each, retractions left out; the ETag is the ledger's
            revision (at as_of)."""
            as_of = args.pop("as_of", None)
            if "from_" in args:
                args["start"] = args.pop("from_")
            if "to" in args:
                args["end"] = args.pop("to")
            first, size = first_of(pagination_parameters), pagination_parameters.page_size
            total, page = call("{name}_page", as_of, Selection(**args), first, size)
            pagination_parameters.item_count = total
            return page

    class One(MethodView):
        @blp.doc(summary=f"One {noun} as it stands (or stood at as_of), retracted or not.")
        @blp.arguments(AsOfArgs(), location="query")
        @blp.response(200, resource.out_schema)
        @not_found
        def get(self, args: dict[str, Any], record_id: str) -> Response:
            """Its ETag names its revision: send it as If-Match to revise or retract it."""
            record = call("{noun}", record_id, args.get("as_of"))
            return tagged(resource.out_schema().dump(record), etag_of(record))

        @blp.doc(security=SECURITY, summary=f"Revise {a_noun}: a new revision, with a reason.")
        @blp.extra_parameters(IF_MATCH, *dry_run_doc)
        @writes()
        @existing
        @if_match(required=True)
        @blp.arguments(resource.change_schema())
        @blp.response(
            200,
            revised_doc,
            description="The new revision"
            + (" (with dry_run=true: what it would store and change)." if previews else "."),
        )
        @not_found
        @problem(403, f"The {noun} was retracted by an admin: only an admin revises it back.")
        @problem(412, "If-Match names another revision: the record changed since it was read.")
        @problem(428, "If-Match is missing, or * (which names no revision).")
        def put(self, data: dict[str, Any], record_id: str, expected: int | None) -> Any:
            """The whole record as it should now read, and why. Checked in this order: the token
            (401, 403), the id (404), If-Match (428, 412), the body (422)."""
            reason = data.pop("reason")
            author = current_token().name
            if previews and dry_run():
                return answered(call("preview_{noun}", data, author, record_id, expected))
            record = call(
                "revise_{noun}", record_id, data, author, reason, expected, by=current_token()
            )
            if previews:  # documented by hand, so dumped here
                written = current_app.json.response(resource.out_schema().dump(record))
                written.headers["ETag"] = f'"{etag_of(record)}"'
                return written
            return record, 200, {"ETag": f'"{etag_of(record)}"'}

        @blp.doc(security=SECURITY, summary=f"Retract {a_noun}: it leaves every total.")
        @blp.extra_parameters(IF_MATCH_OPTIONAL, REASON)
        @writes()
        @existing
        @if_match(required=False)
        @blp.response(200, resource.out_schema, description="The retraction revision.")
        @not_found
        @problem(403, f"The {noun} was recorded by another token: only an admin retracts it.")
        @problem(409, f"The {noun} is retracted already.")
        @problem(412, "If-Match names another revision: the record changed since it was read.")
        @problem(422, "The reason is missing or too long.")
        def delete(self, record_id: str, expected: int | None) -> Any:
            """A retraction is a new revision: the record stays in the history and in every
            answer as of an earlier moment. An editor retracts what its own token recorded
            (revision 1, whoever revised it since); retracting someone else's needs the admin
            role."""
            token = current_token()
            reason = retraction()["reason"]
            record = call("retract_{noun}", record_id, token.name, reason, expected, by=token)
            return record, 200, {"ETag": f'"{etag_of(record)}"'}

    class History(MethodView):
        @by_revision
        @blp.doc(summary=f"Every revision of {a_noun}, oldest first.")
        @blp.response(200, resource.out_schema(many=True))
        @blp.paginate()
        @not_found
        def get(self, record_id: str, pagination_parameters: Any) -> list[Any]:
            """Changes and the retraction included, each with its author, moment and reason."""
            history = call("{noun}_history", record_id)
            return page_of(history, pagination_parameters)

    Collection.__doc__ = f"{name.capitalize()}: add one, or list those in force."
    One.__name__ = f"{noun.capitalize()}One"
    blp.route("")(Collection)
    blp.route("/<string:record_id>", endpoint=One.__name__)(One)
    blp.route("/<string:record_id>/revisions", endpoint="Revisions")(History)
    return blp


def _body_reason() -> Any:
    # A body was checked to be JSON before the view ran (api._check_body).
    body = request.get_json(silent=True)
    return body.get("reason") if isinstance(body, dict) else None
