"""ETags and conditional requests: derived from the ledger's revision, so they change exactly
when the data behind a response can have changed, and a client that has it gets 304."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, make_response, request
from marshmallow import Schema

from ledger.state import Memo

# A rendered answer is kept only while it is small: a huge ledger's totals are recomputed
# from the ledger's own memo rather than held twice.
MAX_RENDERED_BYTES = 4 * 1024 * 1024


def not_modified(etag: str) -> Response | None:
    """A 304 when the client already holds this ETag (strong comparison, or *)."""
    if request.if_none_match and (etag in request.if_none_match or request.if_none_match.star_tag):
        response = Response(status=304)
        response.set_etag(etag)
        return response
    return None


def tagged(response: Any, etag: str) -> Response:
    """The response with its ETag, or 304 if the client has it."""
    return not_modified(etag) or _with_etag(make_response(response), etag)


def by_revision(view: Callable[..., Any]) -> Callable[..., Any]:
    """For answers computed from the whole ledger: the ETag is the ledger's revision.

    The revision is read before the answer is computed, so an ETag is never newer than the data
    it labels, and a 304 is only sent while nothing was written since.
    """

    @wraps(view)
    def cached(*args: Any, **kwargs: Any) -> Any:
        g.ledger_revision = current_app.extensions["ledger"].revision()
        etag = f"ledger-{g.ledger_revision}"
        return not_modified(etag) or _with_etag(make_response(view(*args, **kwargs)), etag)

    return cached


def _with_etag(response: Response, etag: str) -> Response:
    if response.status_code == 200:
        response.set_etag(etag)
    return response


def rendered(
    schema: Schema, args: dict[str, Any], compute: Callable[[], dict[str, Any]]
) -> Response:
    """The JSON answer to a question about the whole ledger, rendered once per revision.

    Under `by_revision`: the same question at the revision it read is answered with the same
    bytes. An answer is kept only when it says it was computed at that very revision (its
    `revision`, read after computing, equals the one read before), so a write landing in
    between is never served under the older ETag.
    """
    revision = g.get("ledger_revision")
    memo = current_app.extensions.setdefault("rendered_answers", Memo(capacity=64))
    key = (request.endpoint, revision, tuple(sorted(args.items())))
    body = memo.get(key) if revision is not None else None
    if body is None:
        answer = compute()
        body = current_app.json.response(schema.dump(answer)).get_data()
        current = revision is not None and answer.get("revision") == revision
        if current and len(body) <= MAX_RENDERED_BYTES:
            memo.put(key, body)
    return Response(body, mimetype=current_app.json.mimetype)
