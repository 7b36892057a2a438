"""Operations: Prometheus metrics (served at /metrics: requests, latency, the ledger's revision
and size) and the request id on every log record. Under gunicorn the workers share their metrics
through prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by `serve`)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ledger.errors import LedgerError

REQUESTS = Counter(
    "ledger_http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "ledger_http_request_seconds", "Time to answer an HTTP request.", ["method", "route"]
)


class RequestIdFilter(logging.Filter):
    """Puts the request id on every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class LedgerCollector(Collector):
    """The ledger's own figures, read at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ledger = self.app.extensions["ledger"]
        try:
            revision, entries = ledger.revision(), ledger.count_published("entries") or 0
        except LedgerError as error:
            # While the database is away the requests' own metrics matter most: serve them.
            logging.getLogger("exchange_ledger.api").warning("metrics: %s", error.detail)
            return
        yield GaugeMetricFamily(
            "ledger_revision", "Writes so far (the journal's head).", value=revision
        )
        yield GaugeMetricFamily("ledger_entries", "Entries in force.", value=entries)


def install(app: Flask) -> None:
    """Time and count every request (install it before any hook that may refuse one), and
    put the request id on every log record."""
    # On the handlers, not the logger: a logger's filters do not see its children's records
    # (exchange_ledger.api), while every record that is written passes a handler.
    for logger in (logging.getLogger("exchange_ledger"), logging.getLogger()):
        for handler in logger.handlers:
            if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())
    app.before_request(_start)
    app.after_request(_observe)


def _start() -> None:
    g.started = time.perf_counter()


def _observe(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule else "unmatched"
    count(request.method, route, str(response.status_code), g.get("started"))
    return response


def count(method: str, route: str, status: str, started: float | None) -> None:
    """Count one answered request, and its time since `started` (perf_counter) if known."""
    REQUESTS.labels(method, route, status).inc()
    if started is not None:
        LATENCY.labels(method, route).observe(time.perf_counter() - started)


def metrics() -> Response:
    """The Prometheus text of every worker's requests and the ledger's figures."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(LedgerCollector(current_app._get_current_object()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
