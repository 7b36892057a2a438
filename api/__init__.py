"""The HTTP layer: a Flask app over the ledger."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify

from ledger.errors import LedgerError
from ledger.service import Ledger
from ledger.storage.database import Database, url_from_environment


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; configuration comes from the environment unless given."""
    app = Flask(__name__)
    app.config["LEDGER_DATABASE_URL"] = url_from_environment()
    app.config.update(config or {})
    database = Database(app.config["LEDGER_DATABASE_URL"])
    app.extensions["ledger"] = Ledger(database)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> Any:
        try:
            ready = database.schema_is_current()
        except LedgerError:
            return jsonify(status="database unreachable"), 503
        return jsonify(status="ok" if ready else "migrations pending"), 200 if ready else 503

    app.logger.info("ledger database: %r (pid %s)", database, os.getpid())
    return app
