"""Health, readiness, metrics, the interactive docs (served from this service, no CDN), and
what each problem type means."""

from __future__ import annotations

from typing import Any

import swagger_ui_bundle
from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, render_template, send_from_directory
from marshmallow import Schema, fields

from api import observability, problems
from api.pagination import Blueprint
from api.schemas.common import ProblemSchema
from ledger.errors import NotFound

blp = Blueprint(
    "meta",
    __name__,
    description="Health and readiness for orchestrators, Prometheus metrics, these docs, and "
    "the problem types errors name.",
)


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "Always ok."})


class ReadySchema(HealthSchema):
    revision = fields.Integer(
        required=True, metadata={"description": "The ledger's revision (writes so far)."}
    )


class ProblemTypeSchema(Schema):
    type = fields.String(required=True, metadata={"description": "The problem's `type`."})
    description = fields.String(required=True, metadata={"description": "What it means."})


UNAVAILABLE = {
    "schema": ProblemSchema,
    "content_type": problems.MEDIA_TYPE,
    "description": "The database cannot be reached, or its schema is not the newest; the "
    "cause is in the service's log, not in the answer.",
}

METRICS = "Prometheus text: requests, latency, the ledger's revision and entries."
DOCS = "Swagger UI over /openapi.json."
TEXT = {"text/plain": {"schema": {"type": "string"}}}
HTML = {"text/html": {"schema": {"type": "string"}}}


@blp.route("/healthz")
@blp.response(200, HealthSchema, description="The process answers.")
def healthz() -> dict[str, str]:
    """Liveness: the process answers (the database is not asked)."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, ReadySchema, description="Ready to serve.")
@blp.alt_response(503, **UNAVAILABLE)
def readyz() -> Any:
    """Readiness: the database answers and its schema is at the newest migration."""
    ledger = current_app.extensions["ledger"]
    if not ledger.database.schema_is_current():
        return problems.problem(
            503,
            "The database's schema is not at the newest migration; run "
            "'exchange-ledger migrate' (or 'serve', which migrates first).",
        )
    return {"status": "ok", "revision": ledger.revision()}


@blp.route("/metrics")
@blp.unconditional
@blp.response(200, description=METRICS, content_type="text/plain")
@blp.doc(responses={"200": {"description": METRICS, "content": TEXT}})
def metrics() -> Response:
    """Prometheus metrics of every worker (no ETag: they change with every request)."""
    response = observability.metrics()
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/docs")
@blp.response(200, description=DOCS, content_type="text/html")
@blp.doc(responses={"200": {"description": DOCS, "content": HTML}})
def docs() -> Response:
    """Interactive docs (Swagger UI), with every asset served by this service."""
    return Response(render_template("docs.html"), mimetype="text/html")


def docs_asset(name: str) -> Any:
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, name, max_age=86400)


# Swagger UI's own files are part of /docs, not of the API: routed, not documented.
FlaskBlueprint.add_url_rule(blp, "/docs/assets/<path:name>", "docs_asset", docs_asset)


SLUG = {
    "in": "path",
    "name": "slug",
    "description": "The problem type's name: the last part of a problem's `type`.",
    "schema": {"type": "string", "enum": sorted(problems.TYPES)},
}


@blp.route("/problems/<slug>", parameters=[SLUG])
@blp.response(200, ProblemTypeSchema, description="What the problem type means.")
@blp.alt_response(
    404, schema=ProblemSchema, content_type=problems.MEDIA_TYPE, description="No such type."
)
def problem_type(slug: str) -> dict[str, str]:
    """What a problem `type` (/problems/{slug}) means and what to do about it."""
    if slug not in problems.TYPES:
        raise NotFound(f"No problem type is called {slug!r}.")
    return {"type": f"/problems/{slug}", "description": problems.TYPES[slug]}
