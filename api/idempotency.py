"""Idempotency-Key on every POST: a retried request gets the first answer, written once."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request

from api.auth import current_token
from ledger.idempotency import StoredResponse, fingerprint

HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
DOC = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "Makes a retried POST return the first answer instead of writing twice "
    "(1 to 255 printable ASCII characters; a UUID is ideal).",
    "schema": {"type": "string", "maxLength": 255},
}


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the view once per (token, key); replay its answer to a retry with the same body."""

    @wraps(view)
    def once(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)

        def write() -> StoredResponse:
            response = make_response(view(*args, **kwargs))
            headers = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
            return StoredResponse(response.status_code, response.get_data(as_text=True), headers)

        ledger = current_app.extensions["ledger"]
        seen = fingerprint(request.method, request.path, request.get_data(cache=True))
        stored, replayed = ledger.once(current_token().id, key, seen, write)
        response = Response(stored.body, status=stored.status, headers=stored.headers)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    return once
