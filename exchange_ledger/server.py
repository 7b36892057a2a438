"""Serving the app with gunicorn, embedded so that `exchange-ledger serve` is one process tree:
JSON log lines (one per request, with its request id, never a secret, from a header or the
URL), metrics shared by the workers, and a graceful stop on SIGTERM that lets requests in
flight finish."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from contextlib import suppress
from http import HTTPStatus
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from ledger.redaction import redacted, redacted_query

GRACEFUL_SECONDS = 30
# What gunicorn refuses itself, as the service's problem types, with what to do about it.
REFUSED = {
    414: ("uri-too-long", "shorten the address and its query (at most 4,094 bytes)"),
    431: ("headers-too-large", "send fewer or shorter headers"),
    501: ("unsupported-transfer-coding", "send Content-Length, or Transfer-Encoding: chunked"),
}
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


class JsonAccessLogger(Logger):
    """gunicorn's logger, writing each access as one JSON object."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.cfg.accesslog:
            return
        headers = dict(resp.headers) if isinstance(resp.headers, list) else {}
        line = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "access",
            "request_id": headers.get("X-Request-Id", "-"),
            "method": environ.get("REQUEST_METHOD"),
            "path": redacted(environ.get("PATH_INFO") or ""),
            "query": redacted_query(environ.get("QUERY_STRING") or "") or None,
            "status": resp.status_code if hasattr(resp, "status_code") else str(resp.status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "remote": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        self.access_log.info(json.dumps(line))


def write_problem(sock: Any, status: int, reason: str, message: str) -> None:
    """gunicorn's own answer to a request it cannot parse (a request line over its limit,
    a malformed header), as problem+json like every other error of the service."""
    with suppress(ValueError):
        reason = HTTPStatus(status).phrase  # gunicorn's 501 says "Bad Request"
    unread = ("malformed-request", "the request could not be read")
    failed = ("internal-error", "the server's log says what failed")
    slug, hint = REFUSED.get(status, unread if status < 500 else failed)
    body = json.dumps(
        {
            "type": f"/problems/{slug}",
            "title": reason,
            "status": status,
            "detail": f"{message}: {hint}." if message else f"{reason}: {hint}.",
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    gunicorn_util.write_nonblock(sock, head.encode("latin-1") + body)


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


QUIET_S = 5.0  # with no request in flight and none for this long, a worker warms up
BUSY_FILE = "LEDGER_BUSY_FILE"  # the environment variable naming the server's busy file


class _Quiet:
    """Whether a worker has nothing to do: no request in flight, and none for `quiet_s`; and,
    given the server's busy file, no request in flight in any other worker either.

    Every worker holds a shared lock on the busy file while it has a request in flight; a
    worker that waits for quiet may take the file's exclusive lock only when none does. So a
    worker's warm-up does not start while another worker works out a question beside it (on
    two cores, two such processes slow each other two to three times)."""

    def __init__(self, busy_file: str | None = None, quiet_s: float = QUIET_S) -> None:
        self._lock = threading.Lock()
        self._busy = 0
        self._since = time.monotonic()
        self.quiet_s = quiet_s
        self._file = os.open(busy_file, os.O_RDWR | os.O_CREAT, 0o600) if busy_file else None

    def begin(self) -> None:
        with self._lock:
            self._busy += 1
            if self._busy == 1 and self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_SH)

    def end(self) -> None:
        with self._lock:
            self._busy -= 1
            self._since = time.monotonic()
            if self._busy == 0 and self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)

    def wait(self) -> None:
        """Return once this worker is quiet and no other is answering."""
        while True:
            with self._lock:
                left = 0.5 if self._busy else self._since + self.quiet_s - time.monotonic()
                if left <= 0 and self._others_quiet():
                    return
            time.sleep(max(left, 0.5))

    def _others_quiet(self) -> bool:
        if self._file is None:
            return True
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(self._file, fcntl.LOCK_UN)
        return True


def _post_worker_init(worker: Any) -> None:
    # Each worker works out the newest analysis in its first quiet moment (Ledger.warm_up),
    # so that the first answer after a write moves on from it on whichever worker it lands,
    # instead of one worker working out the whole ledger then. Not at once: a new server's
    # first answers are kept ones, read while nothing else competes for the worker.
    worker.quiet = _Quiet(os.environ.get(BUSY_FILE))
    if os.environ.get("LEDGER_WARM_UP", "1") != "0":
        threading.Thread(target=_warm_up, args=(worker,), name="warm-up", daemon=True).start()


def _warm_up(worker: Any) -> None:
    worker.quiet.wait()
    log = logging.getLogger("exchange_ledger")
    started = time.perf_counter()
    try:
        worker.wsgi.extensions["ledger"].warm_up()
    except Exception:  # the first question works it out instead, and reports what fails
        log.exception("warm-up failed")
    else:
        log.info("warm-up done in %.1f s", time.perf_counter() - started)


def _post_request(worker: Any, _request: Any, _environ: Any, _response: Any) -> None:
    worker.quiet.end()


def _pre_request(worker: Any, _request: Any) -> None:
    worker.quiet.begin()


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from api import create_app

        return create_app()


def logging_config() -> dict[str, Any]:
    """Every log as JSON lines on stderr; the request id on the app's own records."""
    json_formatter = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": LOG_FORMAT,
        "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": json_formatter, "line": {"format": "%(message)s"}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "exchange_ledger": {"handlers": ["json"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["json"], "level": "WARNING"},
    }


def run_server(host: str, port: int, workers: int) -> None:
    """Run gunicorn until it is stopped (SIGTERM finishes requests in flight)."""
    # gunicorn's workers call util.write_error for what they refuse before the app sees it.
    gunicorn_util.write_error = write_problem
    metrics = tempfile.mkdtemp(prefix="exchange-ledger-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics
    os.environ[BUSY_FILE] = os.path.join(metrics, "busy")  # the workers' _Quiet, beside the metrics
    master = os.getpid()
    try:
        _serve(host, port, workers)
    finally:
        # gunicorn's forked workers unwind through here too when they exit: only the master,
        # which made the directory, removes it.
        if os.getpid() == master:
            shutil.rmtree(metrics, ignore_errors=True)


def _serve(host: str, port: int, workers: int) -> None:
    """gunicorn, configured for the ledger, in the foreground."""
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "timeout": 60,
            "graceful_timeout": GRACEFUL_SECONDS,
            "accesslog": "-",
            "errorlog": "-",
            "logger_class": JsonAccessLogger,
            "logconfig_dict": logging_config(),
            "child_exit": _child_exit,
            "pre_request": _pre_request,
            "post_worker_init": _post_worker_init,
            "post_request": _post_request,
            "preload_app": False,
            # gunicorn's control socket has one fixed path per user; several servers (tests,
            # benchmarks) would fight over it, and nothing here uses it.
            "control_socket_disable": True,
        }
    ).run()
