"""Operations: Prometheus metrics at /metrics (requests, latency, the ledger's revision and
size) and the request id on every log record. Under gunicorn the workers share their metrics
through prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by `serve`)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

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
        yield GaugeMetricFamily(
            "ledger_revision", "Writes so far (the journal's head).", value=ledger.revision()
        )
        yield GaugeMetricFamily(
            "ledger_entries", "Entries in force.", value=ledger.count_published("entries") or 0
        )


def install(app: Flask) -> None:
    """Time and count every request, and serve /metrics."""
    logging.getLogger("exchange_ledger").addFilter(RequestIdFilter())
    app.before_request(_start)
    app.after_request(_observe)
    app.add_url_rule("/metrics", "metrics", _metrics)


def _start() -> None:
    g.started = time.perf_counter()


def _observe(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule else "unmatched"
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    if "started" in g:
        LATENCY.labels(request.method, route).observe(time.perf_counter() - g.started)
    return response


def _metrics() -> Any:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(LedgerCollector(current_app._get_current_object()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
