"""Answers given again without going through Flask.

A GET of an answer about the whole ledger (totals, schedule, still held, checks) asked again at
the same address while the ledger stays at the same revision gets what the app answered the
first time: the same status, headers and bytes, a 304 included; only its request id is its own.
What is kept is what Flask sent, captured on the way out, so every header a hook adds (ETag,
CORS, security) is there; the revision is read for every request, so a write makes every kept
answer stale at once. Answers about an earlier moment (`as_of`) always go through the app.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from werkzeug.http import parse_etags, unquote_etag

from api import observability
from api.request_id import request_id
from ledger.state import Memo

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Set by `by_revision` while it serves an answer that may be kept: the revision it was
# computed at and the route it is counted under in the metrics.
KEEP = "ledger.keep_answer"
CAPACITY = 256
HELD_BYTES = 256 * 1024 * 1024  # in each worker, all answers together


@dataclass(frozen=True)
class HeldResponse:
    """A whole answer held in this worker, with the revision it was computed at."""

    revision: int
    route: str
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str | None


def keep_this_answer(revision: int) -> None:
    """Called by `by_revision`: the answer being served may be given again at this revision."""
    rule = request.url_rule.rule if request.url_rule else "unmatched"
    request.environ[KEEP] = (revision, rule)


class AnswerCache:
    """WSGI middleware in front of the Flask app (see the module's docstring)."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self.kept = Memo(capacity=CAPACITY, max_bytes=HELD_BYTES)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") != "GET" or "as_of" in environ.get("QUERY_STRING", ""):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        address = (
            environ.get("PATH_INFO"),
            environ.get("QUERY_STRING"),
            environ.get("HTTP_ORIGIN"),
        )
        held = environ.get("HTTP_IF_NONE_MATCH")
        not_modified = self.kept.get((*address, "304")) if held else None
        if not_modified is not None and _holds(held, not_modified.etag):
            first = not_modified
        else:
            first = self.kept.get(address)
            if first is None or (held and _holds(held, first.etag)):
                return self._through_app(environ, start_response, address)  # a 304 to keep
        if first.revision != self.app.extensions["ledger"].revision():
            return self._through_app(environ, start_response, address)
        return self._again(first, environ, start_response, started)

    def _again(
        self,
        kept: HeldResponse,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        started: float,
    ) -> list[bytes]:
        own = request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        headers = [(k, own if k == "X-Request-Id" else v) for k, v in kept.headers]
        start_response(kept.status, headers)
        observability.count("GET", kept.route, kept.status.split(" ", 1)[0], started)
        return [kept.body]

    def _through_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any], address: tuple
    ) -> Iterable[bytes]:
        answered: list[tuple[str, list[tuple[str, str]]]] = []

        def remember(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            answered.append((status, headers))
            return start_response(status, headers, *exc_info)

        body = self.wsgi_app(environ, remember)
        keep = environ.get(KEEP)
        if keep is None or not answered:
            return body  # not an answer about the whole ledger (those are never streamed)
        status, headers = answered[-1]
        code = status.split(" ", 1)[0]
        if code not in ("200", "304"):
            return body
        try:
            whole = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        revision, route = keep
        key = address if code == "200" else (*address, "304")
        self.kept.put(key, HeldResponse(revision, route, status, tuple(headers), whole, etag))
        return [whole]


def _holds(if_none_match: str | None, etag: str | None) -> bool:
    """Whether If-None-Match names the tag (weak comparison, as RFC 9110 asks, or *): the
    rule `caching.not_modified` applies, through werkzeug's parser."""
    if not if_none_match or etag is None:
        return False
    return parse_etags(if_none_match).contains_weak(unquote_etag(etag)[0])
