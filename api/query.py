"""Query parameters a route does not take are refused (422, naming them), not ignored: a
misspelt filter (`natinality=Thai`) would otherwise be answered with every record. What each
route takes is what the OpenAPI document says it takes, so the two cannot drift apart."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_smorest import Api

from api import problems
from api.auth import authenticated
from api.security import WRITE_METHODS

RULE_PART = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def install(app: Flask, api: Api) -> None:
    app.extensions["query_parameters"] = _Parameters(api)
    app.before_request(_refuse_unknown)


class _Parameters:
    """The query parameters of each documented operation, read from the spec once."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._found: dict[tuple[str, str], frozenset[str]] | None = None

    def of(self, rule: str, method: str) -> frozenset[str] | None:
        """What an operation takes; None for a route the API does not document."""
        if self._found is None:
            self._found = self._read()
        return self._found.get((RULE_PART.sub(r"{\1}", rule), method.lower()))

    def _read(self) -> dict[tuple[str, str], frozenset[str]]:
        spec: dict[str, Any] = self.api.spec.to_dict()
        refs = spec.get("components", {}).get("parameters", {})
        found = {}
        for path, operations in spec["paths"].items():
            shared = operations.get("parameters", [])
            for method, operation in operations.items():
                if method == "parameters":
                    continue
                listed = [
                    refs.get(p["$ref"].rsplit("/", 1)[-1], {}) if "$ref" in p else p
                    for p in [*shared, *operation.get("parameters", [])]
                ]
                found[(path, method)] = frozenset(
                    p["name"] for p in listed if p.get("in") == "query"
                )
        return found


def _refuse_unknown() -> Response | None:
    if not request.args or request.url_rule is None or request.method == "OPTIONS":
        return None
    if request.method in WRITE_METHODS and g.get("token") is None:
        g.token = authenticated()  # a write's token first: anonymous, it is 401 whatever its query
    method = "get" if request.method == "HEAD" else request.method
    taken = current_app.extensions["query_parameters"].of(request.url_rule.rule, method)
    if taken is None:
        return None
    unknown = sorted(set(request.args) - taken)
    if not unknown:
        return None
    takes = ", ".join(sorted(taken)) or "no parameters"
    return problems.problem(
        422,
        f"{request.method} {request.path} does not take {', '.join(unknown)}; it takes {takes}.",
        errors={name: [f"Is not a parameter of this route; it takes {takes}."] for name in unknown},
    )
