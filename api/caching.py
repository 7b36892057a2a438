"""ETags and conditional requests: derived from the ledger's revision, so they change exactly
when the data behind a response can have changed, and a client that has it gets 304."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request


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
        etag = f"ledger-{current_app.extensions['ledger'].revision()}"
        return not_modified(etag) or _with_etag(make_response(view(*args, **kwargs)), etag)

    return cached


def _with_etag(response: Response, etag: str) -> Response:
    if response.status_code == 200:
        response.set_etag(etag)
    return response
