"""Security at the edge: failed authentication is rate-limited per client, and HTML pages carry
a content security policy that admits only this origin."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

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

# The storage comes from the app's RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def protect(app: Flask, blueprints: list) -> None:
    """Rate-limit failed writes per client on every blueprint and add the security headers."""
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
    limiter.init_app(app)
    limit = app.config["FAILED_AUTH_LIMIT"]
    failed = limiter.shared_limit(
        lambda: limit, scope="failed-auth", methods=WRITE_METHODS,
        deduct_when=lambda response: response.status_code == 401,
    )  # fmt: skip
    for blueprint in blueprints:
        failed(blueprint)
    app.after_request(_headers)


@limiter.request_filter
def _reads() -> bool:
    # The only limit is on failed writes: a read skips the limiter's bookkeeping altogether.
    return request.method not in WRITE_METHODS


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = _POLICY
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
