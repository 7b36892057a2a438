"""Every error as RFC 9457 problem details (application/problem+json), never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, g, json, request
from werkzeug.exceptions import HTTPException

from ledger.errors import InvalidInput, LedgerError
from ledger.redaction import redacted

log = logging.getLogger("exchange_ledger.api")

MEDIA_TYPE = "application/problem+json"

# A short explanation per problem type, served at /problems/<slug> so a `type` resolves.
TYPES = {
    "invalid-input": "One or more fields are wrong; `errors` names each field and what to fix.",
    "malformed-request": "The request could not be read: the body is not valid JSON or UTF-8.",
    "not-found": "Nothing has that id or address.",
    "conflict": "The request contradicts the record's current state (e.g. it is retracted "
    "already); GET it to see that state.",
    "stale-revision": "The record changed since you read it; fetch it again, re-apply, retry.",
    "precondition-required": "Send If-Match with the ETag you read, so no change is lost.",
    "too-large": "The body or the text is larger than the ledger accepts: a body up to 10 MB "
    "(40 MB for POST /v1/sources, whose text of up to 10 MB may grow when JSON-escaped).",
    "uri-too-long": "The address and its query are longer than the server reads.",
    "headers-too-large": "The request's headers are larger than the server reads.",
    "unsupported-transfer-coding": "The body is sent in a transfer coding the server does not "
    "read; send it with Content-Length, or Transfer-Encoding: chunked alone.",
    "unsupported-media-type": "Send the body as application/json.",
    "unauthorized": "Send 'Authorization: Bearer <token>' with a token made by "
    "'exchange-ledger token create'.",
    "forbidden": "The token's role may not do this.",
    "method-not-allowed": "The address does not take that method.",
    "unavailable": "The database could not be reached; try again shortly.",
    "rate-limited": "Too many failed authentication attempts from this address; wait and "
    "retry with a valid token.",
    "internal-error": "Something failed inside the service; the request id finds it in the log.",
    "http-error": "An HTTP error; the title says which.",
}
INTERNAL = (
    "The service failed to answer; the request id identifies the failure in the service's log."
)
UNAVAILABLE = (
    "The database could not be reached or used; try again shortly. The request id identifies "
    "the cause in the service's log."
)
STATUS_TYPES = {
    400: "malformed-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "stale-revision",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    428: "precondition-required",
    429: "rate-limited",
    503: "unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    errors: Mapping[str, list[str]] | None = None,
    slug: str | None = None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem+json response."""
    slug = slug or STATUS_TYPES.get(status, "internal-error" if status >= 500 else "http-error")
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if getattr(g, "request_id", None):
        body["request_id"] = g.request_id
    if errors:
        body["errors"] = {name: list(messages) for name, messages in errors.items()}
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' nested messages as the ledger's flat field paths: `evidence[0].quote`."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "body": messages}
    if isinstance(messages, Mapping):
        found: dict[str, list[str]] = {}
        for name, inner in messages.items():
            if isinstance(name, int):
                path = f"{prefix}[{name}]"
            elif prefix in ("", "json", "query", "headers", "form", "querystring"):
                path = str(name) if name != "_schema" else "body"
            else:
                path = f"{prefix}.{name}" if name != "_schema" else prefix
            found.update(flatten(inner, path))
        return found
    return {prefix or "body": [str(messages)]}


def http_problem(error: HTTPException) -> Response:
    """An HTTP error (from Flask, werkzeug or webargs' validation) as problem details."""
    data = getattr(error, "data", None) or {}
    status = error.code or 500
    if "messages" in data:
        errors = flatten(data["messages"])
        if status == 400:
            return problem(400, "The body is not valid JSON.", errors=errors)
        detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        return problem(status, detail, errors=errors)
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    detail = data.get("message") or error.description or HTTPStatus(status).description
    if status == 413:
        detail = too_large_detail()
    if status == 429:
        detail = (
            f"Too many failed authentication attempts from this address ({detail}); "
            "wait a minute, then retry with a valid token."
        )
    return problem(status, detail, headers=headers)


def too_large_detail() -> str:
    """What a 413 for the body says: the limit of this address, in MB and bytes."""
    limit = request.max_content_length
    if not limit:
        return "The body is larger than the service accepts."
    return (
        f"The body is larger than {limit / 2**20:g} MB ({limit:,} bytes), the most "
        f"{request.method} {request.path} accepts; send less."
    )


def register(app: Flask) -> None:
    """Install the handlers that turn every error into problem details."""

    @app.errorhandler(LedgerError)
    def ledger_error(error: LedgerError) -> Response:
        errors = error.errors if isinstance(error, InvalidInput) else None
        headers = (
            {"WWW-Authenticate": 'Bearer realm="exchange-ledger"'} if error.status == 401 else None
        )
        detail = error.detail
        if error.status >= 500:
            # The cause may name the database's host, port or file: the log keeps it.
            log.warning("request %s: %s", getattr(g, "request_id", "-"), error.detail)
            detail = UNAVAILABLE if error.status == 503 else INTERNAL
        return problem(error.status, detail, errors=errors, headers=headers)

    app.register_error_handler(HTTPException, http_problem)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception(
            "request %s failed: %s %s",
            getattr(g, "request_id", "-"),
            request.method,
            redacted(request.path),
        )
        return problem(500, INTERNAL)
