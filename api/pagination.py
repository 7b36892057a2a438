"""Paginated lists with RFC 8288 Link headers (first, prev, next, last) and a total count."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request
from flask_smorest import Blueprint as SmorestBlueprint

LINK_DOC = {
    "description": "RFC 8288 links to the first, previous, next and last pages.",
    "schema": {"type": "string"},
}
TOTAL_DOC = {"description": "How many items all pages hold.", "schema": {"type": "integer"}}


class Blueprint(SmorestBlueprint):
    """flask-smorest's Blueprint, paginating with Link headers instead of X-Pagination."""

    PAGINATION_HEADER_NAME = "Link"
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 500}  # noqa: RUF012

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


def page_of(items: list[Any], pagination: Any) -> list[Any]:
    """One page of a list already in memory; records the total for the Link header."""
    pagination.item_count = len(items)
    start = pagination.first_item
    return items[start : start + pagination.page_size]
