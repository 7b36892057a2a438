"""Idempotency-Key on every POST: a retried request gets the first answer, written once."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request

from api.auth import current_token
from api.dry_run import dry_run
from ledger.idempotency import StoredResponse, fingerprint

HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
DOC = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "Makes a retried POST return the first answer instead of writing twice "
    "(1 to 255 printable ASCII characters; a UUID is ideal). The same JSON, however it is "
    "spaced or its keys ordered, is the same request.",
    "schema": {"type": "string", "maxLength": 255},
}


def idempotent(view: Callable[..., Any] | None = None, *, secret: tuple[str, ...] = ()) -> Any:
    """Run the view once per (token, key); replay its answer to a retry with the same body.

    The fields named in `secret` are answered once and never kept: a replay has them null
    (a token's secret, of which the ledger keeps only a hash).
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def once(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None or dry_run():
                return view(*args, **kwargs)
            first: list[Response] = []

            def write() -> StoredResponse:
                response = make_response(view(*args, **kwargs))
                first.append(response)
                headers = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
                body = _without(response.get_data(as_text=True), secret)
                return StoredResponse(response.status_code, body, headers)

            ledger = current_app.extensions["ledger"]
            seen = fingerprint(request.method, request.path, canonical(request.get_data()))
            stored, replayed = ledger.once(current_token().id, key, seen, write)
            if not replayed:
                return first[0]
            response = Response(stored.body, status=stored.status, headers=stored.headers)
            response.headers["Idempotent-Replayed"] = "true"
            return response

        return once

    return decorator(view) if view is not None else decorator


def canonical(body: bytes) -> bytes:
    """The body as one spelling of its JSON (keys sorted, no spaces): a retry that spaces or
    orders the same JSON differently is the same request."""
    if not body.strip():
        return b""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body  # refused before a view runs; kept as sent all the same
    return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()


def _without(body: str, secret: tuple[str, ...]) -> str:
    if not secret:
        return body
    answer = json.loads(body)
    if isinstance(answer, dict):
        answer.update({name: None for name in secret if name in answer})
    return json.dumps(answer)
