"""Health, readiness, the interactive docs (served from this service, no CDN), problem types."""

from __future__ import annotations

from typing import Any

import swagger_ui_bundle
from flask import Blueprint, current_app, jsonify, render_template, send_from_directory

from api.problems import TYPES
from ledger.errors import LedgerError, NotFound

blp = Blueprint("meta", __name__)


@blp.get("/healthz")
def healthz() -> Any:
    """The process answers."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> Any:
    """The database answers and its schema is at the newest migration."""
    try:
        current = current_app.extensions["ledger"].database.schema_is_current()
    except LedgerError as error:
        return jsonify(status="unavailable", detail=error.detail), 503
    if not current:
        return jsonify(
            status="unavailable", detail="migrations are pending; run 'exchange-ledger migrate'"
        ), 503
    return jsonify(status="ok", revision=current_app.extensions["ledger"].revision())


@blp.get("/docs")
def docs() -> Any:
    """Swagger UI over /openapi.json, with its assets from the swagger-ui-bundle package."""
    return render_template("docs.html")


@blp.get("/docs/assets/<path:name>")
def docs_asset(name: str) -> Any:
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, name, max_age=86400)


@blp.get("/problems/<slug>")
def problem_type(slug: str) -> Any:
    """What a problem `type` means."""
    if slug not in TYPES:
        raise NotFound(f"No problem type is called {slug!r}.")
    return jsonify(type=f"/problems/{slug}", description=TYPES[slug])
