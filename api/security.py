"""Security at the edge: failed authentication is rate-limited per client, and HTML pages carry
a content security policy that admits only this origin."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Ten failed attempts a minute per client address, per worker process (memory storage):
# enough for a person mistyping a token, far too few to guess one. LEDGER_FAILED_AUTH_LIMIT
# changes it (e.g. for a load test), in the words of Flask-Limiter: "100 per minute".
FAILED_AUTH_LIMIT = "10 per minute"
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]

# Only this origin. Vega compiles chart expressions with Function(), so the dashboard page
# alone also allows 'unsafe-eval'; no page allows inline script.
_POLICY = (
    "default-src 'self'; script-src 'self'{eval}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
EVAL_PAGES = ("/",)

limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", headers_enabled=True)


def protect(app: Flask, blueprints: list) -> None:
    """Rate-limit failed writes on every blueprint and add the security headers."""
    limiter.init_app(app)
    limit = app.config["FAILED_AUTH_LIMIT"]
    failed = limiter.shared_limit(
        lambda: limit, scope="failed-auth", methods=WRITE_METHODS,
        deduct_when=lambda response: response.status_code == 401,
    )  # fmt: skip
    for blueprint in blueprints:
        failed(blueprint)
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        extra = " 'unsafe-eval'" if request.path in EVAL_PAGES else ""
        response.headers["Content-Security-Policy"] = _POLICY.format(eval=extra)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
