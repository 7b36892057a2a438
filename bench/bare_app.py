"""The peer of P1 and P4: a plain Flask app under the same gunicorn settings as the service.

GET /v1/totals returns a constant JSON body (the service's own seed totals, read once from
BENCH_BODY_FILE) with an ETag and 304 for If-None-Match; POST /v1/entries inserts the JSON body
as one row, in the database named by BENCH_WRITE_URL (SQLite: WAL, synchronous=FULL and
BEGIN IMMEDIATE, as the service; PostgreSQL: psycopg), one transaction per request.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from flask import Flask, Response, request

app = Flask(__name__)
BODY = Path(os.environ.get("BENCH_BODY_FILE", os.devnull)).read_bytes()
ETAG = '"bare-1"'
WRITE_URL = os.environ.get("BENCH_WRITE_URL", "")
_local = threading.local()


@app.get("/v1/totals")
def totals() -> Response:
    if request.headers.get("If-None-Match") == ETAG:
        return Response(status=304, headers={"ETag": ETAG})
    return Response(BODY, mimetype="application/json", headers={"ETag": ETAG})


@app.post("/v1/entries")
def write() -> tuple[str, int]:
    body = request.get_data(as_text=True)
    connection = _connection()
    if WRITE_URL.startswith("sqlite"):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO bare_write (body) VALUES (?)", (body,))
        connection.execute("COMMIT")
    else:
        with connection.transaction():
            connection.execute("INSERT INTO bare_write (body) VALUES (%s)", (body,))
    return '{"ok": true}', 201


def _connection():
    found = getattr(_local, "connection", None)
    if found is None:
        if WRITE_URL.startswith("sqlite"):
            found = sqlite3.connect(WRITE_URL.split("///", 1)[1], isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
                found.execute(f"PRAGMA {pragma}")
        else:
            import psycopg

            found = psycopg.connect(WRITE_URL, autocommit=True)
        _local.connection = found
    return found
