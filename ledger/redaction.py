"""What a log line may say of a request's address: never a secret a careless client put in it."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from ledger import tokens

# A query parameter whose name says it carries a credential (access_token, api_key, secret,
# password...): its value is never logged. Nor is anything shaped like one of our tokens,
# percent-encoded or not.
CREDENTIAL_NAME = re.compile(
    r"(token|secret|passw(or)?d|api[_-]?key|^key$|auth|credential|signature|^sig$)", re.I
)
SECRET_VALUE = re.compile(re.escape(tokens.PREFIX) + r"[A-Za-z0-9_%-]+")
REDACTED = "[redacted]"


def redacted(text: str) -> str:
    """A logged path or value with every token-shaped secret in it replaced (then logged
    decoded)."""
    plain = unquote_plus(text)
    return SECRET_VALUE.sub(tokens.PREFIX + REDACTED, plain) if SECRET_VALUE.search(plain) else text


def redacted_query(query: str) -> str:
    """A query string as logged: credentials' values replaced, the rest as sent."""
    pairs = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        if equals and CREDENTIAL_NAME.search(unquote_plus(name)):
            pair = f"{name}={REDACTED}"
        pairs.append(redacted(pair))
    return "&".join(pairs)
