"""Sources: reports stored byte-for-byte, and their sentences."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, url_for
from flask.views import MethodView

from api.auth import SECURITY, current_token, writes
from api.caching import by_revision, tagged
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import idempotent
from api.pagination import Blueprint, first_of
from api.problems import MEDIA_TYPE as PROBLEM
from api.schemas.common import AsOfArgs, ProblemSchema
from api.schemas.sources import (
    ListedSourceSchema,
    SentenceSchema,
    SourceInSchema,
    SourceSchema,
)
from ledger.errors import NotFound
from ledger.records import ListedSource, Source
from ledger.sources import SOURCE_FIELDS

NOT_FOUND = {
    "schema": ProblemSchema,
    "content_type": PROBLEM,
    "description": "No source has that id (or it has no such sentence).",
}

blp = Blueprint(
    "sources",
    __name__,
    url_prefix="/v1/sources",
    description="News reports, stored byte-for-byte, and their sentences.",
)


def _split_first(view: Callable[..., Any]) -> Callable[..., Any]:
    """Cut the report into sentences before the write holds anything other writes wait on:
    the writer lock (taken with an Idempotency-Key) comes after."""

    @wraps(view)
    def split(resource: MethodView, data: dict[str, Any], **kwargs: Any) -> Any:
        data["text"] = current_app.extensions["ledger"].split_source(
            data["text"], **{name: data.get(name) for name in SOURCE_FIELDS}
        )
        return view(resource, data, **kwargs)

    return split


def listed(source: ListedSource) -> dict[str, Any]:
    """A source as GET /v1/sources lists it: its metadata and how many sentences it has."""
    return dataclasses.asdict(source)


def shown(source: Source) -> dict[str, Any]:
    """A source as API.md shows it: its metadata and every sentence, not its text."""
    sentences = [sentence_shown(source, s.n) for s in source.sentences]
    return {**listed(ListedSource.of(source)), "sentences": sentences}


def sentence_shown(source: Source, n: int) -> dict[str, Any]:
    sentence = source.sentences[n]
    return {
        "source": source.id,
        "n": sentence.n,
        "start": sentence.start,
        "end": sentence.end,
        "text": sentence.text,
        "kind": sentence.kind,
    }


def _etag(source: Source) -> str:
    # A source never changes: its hash is its version.
    return source.sha256


@blp.route("")
class Sources(MethodView):
    @blp.doc(security=SECURITY)
    @blp.extra_parameters(IDEMPOTENCY_DOC)
    @writes()
    @blp.arguments(SourceInSchema())
    @_split_first
    @idempotent
    @blp.response(201, SourceSchema, description="A new source.")
    @blp.alt_response(200, schema=SourceSchema, description="The same text was stored before.")
    @blp.alt_response(
        413,
        schema=ProblemSchema,
        description="The text is over 10 MB, or the body over 40 MB.",
        content_type=PROBLEM,
    )
    def post(self, data: dict[str, Any]) -> Any:
        """Store a report; the same text (same SHA-256) twice is one source."""
        source, created = current_app.extensions["ledger"].add_source(
            data.pop("text"), author=current_token().name, **data
        )
        headers = {
            "Location": url_for("sources.SourceOne", source_id=source.id),
            "ETag": f'"{_etag(source)}"',
        }
        return shown(source), 201 if created else 200, headers

    @by_revision
    @blp.arguments(AsOfArgs(), location="query")
    @blp.response(200, ListedSourceSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Every source stored (by as_of), oldest first, a page at a time, without its text or
        sentences: GET /v1/sources/{id} has its sentences, /text its exact bytes."""
        total, page = current_app.extensions["ledger"].listed_sources(
            first_of(pagination_parameters), pagination_parameters.page_size, args.get("as_of")
        )
        pagination_parameters.item_count = total
        return [listed(source) for source in page]


@blp.route("/<string:source_id>")
class SourceOne(MethodView):
    @blp.response(200, SourceSchema)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, source_id: str) -> Response:
        """One source with its sentences."""
        source = current_app.extensions["ledger"].source(source_id)
        return tagged(SourceSchema().dump(shown(source)), _etag(source))


@blp.route("/<string:source_id>/text")
class SourceText(MethodView):
    @blp.response(
        200, description="The text exactly as received (UTF-8).", content_type="text/plain"
    )
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, source_id: str) -> Response:
        """The report's text, byte-for-byte."""
        source = current_app.extensions["ledger"].source(source_id)
        response = Response(source.text.encode("utf-8"), mimetype="text/plain")
        response.charset = "utf-8"
        return tagged(response, _etag(source))


@blp.route("/<string:source_id>/sentences")
class SourceSentences(MethodView):
    @blp.response(200, SentenceSchema(many=True))
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, source_id: str) -> Response:
        """Every sentence of a source, in reading order."""
        source = current_app.extensions["ledger"].source(source_id)
        body = [sentence_shown(source, s.n) for s in source.sentences]
        return tagged(body, _etag(source))


@blp.route("/<string:source_id>/sentences/<int(signed=True):n>")
class SourceSentence(MethodView):
    @blp.response(200, SentenceSchema)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, source_id: str, n: int) -> Response:
        """One sentence: its offsets in the source and its text."""
        source = current_app.extensions["ledger"].source(source_id)
        if not 0 <= n < len(source.sentences):
            raise NotFound(
                f"Source {source_id} has sentences 0..{len(source.sentences) - 1}, not {n}."
            )
        return tagged(SentenceSchema().dump(sentence_shown(source, n)), _etag(source))
