"""Bearer tokens: reads are public, every write names its token and role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request

from api import security
from ledger import tokens
from ledger.errors import Unauthorized
from ledger.records import Token

SECURITY = [{"bearerAuth": []}]
SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token made by 'exchange-ledger token create --role editor|admin'.",
}


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def current_token() -> Token:
    """The token of the request being served (set by `writes`)."""
    return g.token


def authenticated() -> Token:
    """The request's token: 401 without a valid one, 429 past the failures allowed from the
    client's address (api.security.failed); a valid token is never refused."""
    try:
        return current_app.extensions["ledger"].authenticate(bearer_secret())
    except Unauthorized:
        security.failed()
        raise


def _authenticated() -> Token:
    # A write with a body was authenticated before its body was read (api._check_body).
    return g.get("token") or authenticated()


def writes(right: str = "write") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a bearer token whose role carries `right`: 401 without one, 403 without it."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            token = _authenticated()
            tokens.require(token.role, right)
            g.token = token
            return view(*args, **kwargs)

        return guarded

    return decorator
