"""The request id: the client's X-Request-Id when it is a sensible one, else a new one."""

from __future__ import annotations

import re
import secrets

REQUEST_ID = re.compile(r"\A[A-Za-z0-9._-]{1,64}\Z")


def request_id(given: str) -> str:
    """The id a request is logged and answered under."""
    return given if REQUEST_ID.match(given) else secrets.token_hex(8)
