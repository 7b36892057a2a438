"""The service's blueprint: paginated lists with RFC 8288 Link headers (first, prev, next,
last) and a total count, and the answers every operation may give documented on each."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from flask import request
from flask_smorest import Blueprint as SmorestBlueprint

WRITES = ("post", "put", "patch", "delete")
# What any write may be answered, before its own checks: no or an unknown token (401), a role
# that may not (403), too many failed tokens (429); and for its body: not JSON (415),
# unreadable (400), too large (413). A GET may be answered 304 for the ETag the client has.
WRITE_STATUSES = (400, 401, 403, 413, 415, 429)
READ_STATUSES = (304,)

LINK_DOC = {
    "description": "RFC 8288 links to the first, previous, next and last pages.",
    "schema": {"type": "string"},
}
TOTAL_DOC = {"description": "How many items all pages hold.", "schema": {"type": "integer"}}


class Blueprint(SmorestBlueprint):
    """flask-smorest's Blueprint, paginating with Link headers instead of X-Pagination."""

    PAGINATION_HEADER_NAME = "Link"
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 500}  # noqa: RUF012

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_ledger_doc)

    @staticmethod
    def extra_parameters(*parameters: dict[str, Any]) -> Callable[[Any], Any]:
        """Document parameters (If-Match, Idempotency-Key, a query read by hand) beside those the
        arguments generate; `doc(parameters=...)` would replace those."""

        def decorator(func: Any) -> Any:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                return func(*args, **kwargs)

            wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))  # type: ignore[attr-defined]
            wrapper._apidoc.setdefault("header_parameters", []).extend(parameters)  # type: ignore[attr-defined]
            return wrapper

        return decorator

    @staticmethod
    def unconditional(func: Any) -> Any:
        """Mark an answer that changes with every request (metrics): no ETag, no 304."""
        func._apidoc = {**getattr(func, "_apidoc", {}), "unconditional": True}
        return func

    def _prepare_ledger_doc(
        self, doc: dict[str, Any], doc_info: dict[str, Any], *, method: str, **_: Any
    ) -> dict[str, Any]:
        if doc_info.get("header_parameters"):
            doc.setdefault("parameters", []).extend(doc_info["header_parameters"])
        responses = doc.setdefault("responses", {})
        statuses = WRITE_STATUSES if method in WRITES else READ_STATUSES
        for status in () if doc_info.get("unconditional") else statuses:
            if status not in responses and str(status) not in responses:
                responses[status] = HTTPStatus(status).name
        return doc

    def _set_pagination_metadata(self, page_params: Any, result: Any, headers: Any) -> Any:
        headers = dict(headers or {})
        total = page_params.item_count
        size = page_params.page_size
        last = max(1, -(-total // size))
        pages = {"first": 1, "last": last}
        if page_params.page > 1:
            pages["prev"] = min(page_params.page - 1, last)
        if page_params.page < last:
            pages["next"] = page_params.page + 1
        headers["Link"] = ", ".join(
            f'<{_page_url(number, size)}>; rel="{rel}"' for rel, number in pages.items()
        )
        headers["X-Total-Count"] = str(total)
        return result, headers

    def _document_pagination_metadata(self, spec: Any, resp_doc: dict[str, Any]) -> None:
        resp_doc.setdefault("headers", {}).update({"Link": LINK_DOC, "X-Total-Count": TOTAL_DOC})


def _page_url(page: int, page_size: int) -> str:
    query = {k: v for k, v in request.args.items(multi=True) if k not in ("page", "page_size")}
    query.update({"page": page, "page_size": page_size})
    return f"{request.base_url}?{urlencode(query)}"


# Beyond any ledger's number of records, and within every engine's 64-bit integers: a page far
# past the end is empty like any page past it, not an offset too large for the database.
MAX_OFFSET = 2**31


def first_of(pagination: Any) -> int:
    """The page's first item, as an offset a database takes."""
    return min(pagination.first_item, MAX_OFFSET)


def page_of(items: list[Any], pagination: Any) -> list[Any]:
    """One page of a list already in memory; records the total for the Link header."""
    pagination.item_count = len(items)
    start = pagination.first_item
    return items[start : start + pagination.page_size]
