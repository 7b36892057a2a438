"""Security at the edge: failed authentication is rate-limited per client (a valid token is
never refused), and HTML pages carry a content security policy that admits only this origin."""

from __future__ import annotations

import time

from flask import Flask, Response, abort, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.middleware.proxy_fix import ProxyFix

from api import problems

# Ten failed attempts a minute per client address: enough for a person mistyping a token, far
# too few to guess one. LEDGER_FAILED_AUTH_LIMIT changes it (e.g. for a load test), in the
# words of Flask-Limiter: "100 per minute".
FAILED_AUTH_LIMIT = "10 per minute"
# Where the counts live (LEDGER_LIMITER_STORAGE, a Flask-Limiter storage URI). memory:// keeps
# them in each worker process, so with N workers a client may try up to N times the limit;
# redis://host:6379 (or memcached://, mongodb://) shares them between workers and servers.
LIMITER_STORAGE = "memory://"
# The client is the address that connected (REMOTE_ADDR). Behind N reverse proxies that is the
# nearest proxy, so LEDGER_TRUSTED_PROXIES=N reads the client from the last N X-Forwarded-For
# hops instead (werkzeug's ProxyFix). Never set it without a proxy that writes that header:
# any client could then name any address.
TRUSTED_PROXIES = 0
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]

# Only this origin, and no page allows inline script or eval: the dashboard has Vega interpret
# chart expressions (vegaEmbed's `ast` option, with the interpreter inside vl-convert's
# bundle) instead of compiling them with Function(), so no page needs 'unsafe-eval'.
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# Flask-Limiter holds the failure counts' storage (from the app's RATELIMIT_STORAGE_URI) and
# its strategy; failed() counts and answers, so no route carries a limit of its own.
limiter = Limiter(key_func=get_remote_address)


def protect(app: Flask) -> None:
    """Read the client's address through trusted proxies, set up the failure counts' storage
    and add the security headers."""
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
    limiter.init_app(app)
    app.after_request(_headers)


@limiter.request_filter
def _unlimited() -> bool:
    # No request is limited as such: failed authentications are counted (failed()) once
    # they are known to have failed, so the limiter's own bookkeeping is skipped.
    return True


def failed() -> None:
    """Count a failed authentication against the client's address; past FAILED_AUTH_LIMIT
    it is answered 429 instead of 401. Counted after the token was checked, so a request
    with a valid token is never refused, however many failures came from its address
    (behind a proxy, every client's)."""
    limit = parse(str(current_app.config["FAILED_AUTH_LIMIT"]))
    client = get_remote_address()
    if limiter.limiter.hit(limit, "failed-auth", client):
        return
    reset, _ = limiter.limiter.get_window_stats(limit, "failed-auth", client)
    abort(
        problems.problem(
            429,
            f"Too many failed authentication attempts from this address ({limit}); wait "
            "a minute, then retry with a valid token.",
            headers={"Retry-After": str(max(1, int(reset - time.time()) + 1))},
        )
    )


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = _POLICY
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
