"""The HTTP layer: a Flask app over the ledger. It parses, calls `ledger`, and serializes."""

from __future__ import annotations

import http
import json
import logging
import os
import re
from typing import Any

from flask import Flask, Response, g, request
from flask_cors import CORS
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import RequestEntityTooLarge

from api import caching, dashboard, observability, problems, query, security
from api.answer_cache import AnswerCache
from api.auth import SCHEME, authenticated
from api.request_id import request_id
from api.resources import (
    charts,
    entries,
    exchanges,
    export,
    meta,
    notes,
    sources,
    terms,
    tokens,
    totals,
)
from api.schemas.common import ProblemSchema
from ledger.service import Ledger
from ledger.sources import MAX_SOURCE_BYTES
from ledger.storage.database import Database, url_from_environment

JSON_TYPE = re.compile(r"\Aapplication/([a-z0-9.+-]+\+)?json\Z")
# A body is at most 10 MB, but a source may be 10 MB of text, which JSON escaping can make
# larger (a quote or a newline takes two bytes, a control character six): its route alone
# takes four times as much.
MAX_BODY_BYTES = MAX_SOURCE_BYTES
MAX_SOURCE_BODY_BYTES = 4 * MAX_SOURCE_BYTES
SOURCE_POST = ("POST", "sources.Sources")
MAX_JSON_DEPTH = 32


OPENAPI_DOC = {
    "get": {
        "summary": "This description of the API (OpenAPI 3).",
        "tags": ["meta"],
        "responses": {
            "200": {
                "description": "The OpenAPI document.",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "304": {"description": "Not Modified"},
        },
    }
}


class LedgerApi(Api):
    """flask-smorest's Api, documenting every error as RFC 9457 problem details."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, problems.MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Problem details", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, problems.MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def handle_http_exception(self, error: Any) -> Response:
        return problems.http_problem(error)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Configuration comes from the environment (LEDGER_DATABASE_URL) unless
    given; the database is migrated by the `serve` command, not here."""
    app = Flask(__name__)
    app.config.update(
        LEDGER_DATABASE_URL=url_from_environment(),
        FAILED_AUTH_LIMIT=os.environ.get("LEDGER_FAILED_AUTH_LIMIT", security.FAILED_AUTH_LIMIT),
        RATELIMIT_STORAGE_URI=os.environ.get("LEDGER_LIMITER_STORAGE", security.LIMITER_STORAGE),
        TRUSTED_PROXIES=int(os.environ.get("LEDGER_TRUSTED_PROXIES", security.TRUSTED_PROXIES)),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        API_TITLE="exchange-ledger",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
        API_SPEC_OPTIONS={
            "info": {
                "description": "A ledger of releases in a hostage-for-detainee exchange; every "
                "number traced to the sentence of the news report that states it. Reads are "
                "public; writes need a bearer token.",
            },
        },
    )
    app.config.update(config or {})
    app.json.sort_keys = False
    app.extensions["ledger"] = Ledger(Database(app.config["LEDGER_DATABASE_URL"]))

    # First of all: the request id, so every answer and log line carries it; then the clock,
    # so that requests refused by the hooks below are timed and counted too.
    app.before_request(_identify)
    observability.install(app)
    api = LedgerApi(app)
    api.spec.components.security_scheme("bearerAuth", SCHEME)
    api.spec.path(
        rule=next(app.url_map.iter_rules("api-docs.openapi_json")), operations=OPENAPI_DOC
    )
    resources = [
        module.blp
        for module in (sources, exchanges, entries, terms, totals, notes, tokens, export, charts)
    ]
    security.protect(app)
    for blueprint in [*resources, meta.blp]:
        api.register_blueprint(blueprint)
    app.register_blueprint(dashboard.blp)
    problems.register(app)
    # Any dashboard may read (GET) from any origin; writes are not offered to other origins.
    readable = {
        "origins": "*",
        "send_wildcard": True,
        "methods": ["GET", "HEAD", "OPTIONS"],
        "expose_headers": ["ETag", "Link", "X-Total-Count", "X-Request-Id"],
    }
    CORS(app, resources={r"/v1/*": readable, r"/openapi.json": readable})
    app.before_request(_limit_body)
    app.before_request(_check_body)
    # After the token and the body: an anonymous write is 401 whatever its query.
    query.install(app, api)
    app.after_request(_tag_response)
    # Registered last, so it runs first: every hook after it sees a 304 as a 304.
    app.after_request(caching.tag_every_get)
    logging.getLogger("exchange_ledger").setLevel(logging.INFO)
    app.wsgi_app = AnswerCache(app, app.wsgi_app)  # type: ignore[method-assign]
    return app


def _identify() -> None:
    g.request_id = request_id(request.headers.get("X-Request-Id", ""))


def _limit_body() -> None:
    """10 MB a body; a new source's body may be larger (see MAX_SOURCE_BODY_BYTES)."""
    if (request.method, request.endpoint) == SOURCE_POST:
        request.max_content_length = MAX_SOURCE_BODY_BYTES


def _check_body() -> Response | None:
    """Writes come from a known token (401 first: an anonymous body is never read) and take
    JSON: 415 for anything else, 400 for JSON that cannot be read. A DELETE that carries a
    body (a reason) is held to the same."""
    if request.routing_exception is not None:
        return None  # a 404 or 405 says more than a 415 would
    if request.method not in security.WRITE_METHODS or (
        request.method == "DELETE" and not _has_body()
    ):
        return None
    g.token = authenticated()
    if not JSON_TYPE.match(request.mimetype or ""):
        return problems.problem(
            415,
            f"Send the body as application/json, not {request.mimetype or 'nothing'}.",
            headers={"Accept": "application/json"},
        )
    raw = request.get_data(cache=True)
    if _cut_at_the_limit(raw):
        raise RequestEntityTooLarge()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return problems.problem(400, f"The body is not valid UTF-8 (byte {error.start}).")
    try:
        body = json.loads(text) if text.strip() else None
    except (ValueError, RecursionError) as error:
        return problems.problem(
            400, f"The body is not valid JSON: {error}.", errors={"body": [str(error)]}
        )
    if _depth(body) > MAX_JSON_DEPTH:
        return problems.problem(400, f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
    return None


def _cut_at_the_limit(raw: bytes) -> bool:
    """Whether a body sent in chunks (no Content-Length) went on past the limit: werkzeug
    stops reading it there, so what was read is only its beginning. A body of exactly the
    limit is whole."""
    limit = request.max_content_length
    if request.content_length is not None or limit is None or len(raw) < limit:
        return False
    return bool(request.environ["wsgi.input"].read(1))


def _has_body() -> bool:
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return bool(request.content_length) or chunked


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _tag_response(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response
