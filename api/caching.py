"""ETags and conditional requests: derived from the ledger's revision, so they change exactly
when the data behind a response can have changed, and a client that has it gets 304. Every
other GET answer is tagged with a hash of its bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, make_response, request
from marshmallow import Schema, ValidationError

from api.answer_cache import keep_this_answer
from api.schemas.common import Moment

# Set by `rendered` for `by_revision`: the answer was computed at the revision it is tagged with.
CURRENT = "answer_is_current"

# Answers that change with every request (a metrics scrape counts the one before it): a tag
# would never match, so they carry none.
UNTAGGED_PATHS = ("/metrics",)


def not_modified(etag: str) -> Response | None:
    """A 304 when the client already holds this ETag (weak comparison, as RFC 9110 requires
    for If-None-Match, so W/"ledger-42" matches "ledger-42"; or *)."""
    if request.if_none_match and request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag)
        return response
    return None


def tagged(response: Any, etag: str) -> Response:
    """The response with its ETag, or 304 if the client has it."""
    return not_modified(etag) or _with_etag(make_response(response), etag)


def by_revision(view: Callable[..., Any]) -> Callable[..., Any]:
    """For answers computed from the whole ledger: the ETag is the ledger's revision, at the
    request's `as_of` when it has one (so an answer about the past keeps its ETag).

    The revision is read before the answer is computed, so an ETag is never newer than the data
    it labels, and a 304 is only sent while nothing was written since.
    """

    @wraps(view)
    def cached(*args: Any, **kwargs: Any) -> Any:
        try:
            as_of = _as_of()
        except ValidationError:
            return view(*args, **kwargs)  # which refuses the query with a 422
        g.ledger_revision = current_app.extensions["ledger"].revision(as_of)
        etag = f"ledger-{g.ledger_revision}"
        unchanged = not_modified(etag)
        if unchanged is not None:
            keep_this_answer(g.ledger_revision)
            return unchanged
        # The same question at the same revision, asked of this process again at the same
        # address and from the same origin, is answered by the answer cache in front of the
        # app (api.answer_cache): the one cache there is.
        response = make_response(view(*args, **kwargs))
        if g.pop(CURRENT, False) and response.status_code == 200:
            keep_this_answer(g.ledger_revision)
        return _with_etag(response, etag)

    return cached


def _as_of() -> dt.datetime | None:
    given = request.args.get("as_of")
    return None if given is None else Moment().deserialize(given, "as_of")


def tag_every_get(response: Response) -> Response:
    """After every request: a GET's 200 answer without an ETag gets one, a hash of its bytes,
    and the client that holds it gets 304. Streamed answers carry their own (by_revision)."""
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and "ETag" not in response.headers
        and not response.is_streamed
        and request.path not in UNTAGGED_PATHS
    ):
        digest = hashlib.sha256(response.get_data()).hexdigest()[:32]
        response.set_etag(f"sha256-{digest}")
        response.make_conditional(request)
    return response


def _with_etag(response: Response, etag: str) -> Response:
    if response.status_code == 200:
        response.set_etag(etag)
    return response


def rendered(schema: Schema, answer: dict[str, Any]) -> Response:
    """The JSON answer to a question about the whole ledger.

    Under `by_revision`, whose answers are given again at the same revision (the answer
    cache): the answer may be given again only when it says it was computed at
    that very revision (its `revision`, read after computing, equals the one read before), so
    a write landing in between is never served under the older ETag.
    """
    revision = g.get("ledger_revision")
    if revision is not None and answer.get("revision") == revision:
        g.setdefault(CURRENT, True)
    return current_app.json.response(schema.dump(answer))
