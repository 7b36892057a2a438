"""Charts: the dashboard's Vega-Lite specs, and the same specs rendered to PNG and SVG
(vl-convert) for reporters who paste a chart into an article."""

from __future__ import annotations

from typing import Any

import vl_convert
from flask import Response, current_app
from flask.views import MethodView

from api.caching import by_revision
from api.pagination import Blueprint
from api.schemas.common import KeyArgs
from ledger import charts

blp = Blueprint(
    "charts",
    __name__,
    url_prefix="/v1/charts",
    description="The dashboard's charts as Vega-Lite specs, PNG or SVG; each chart's data is "
    "the answer of /v1/totals or /v1/schedule for the same filters.",
)

NAMES = (
    "released-hostages",
    "released-detainees",
    "schedule-hostages",
    "schedule-detainees",
    "nationality",
)
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "json": "application/json"}
CONTENT_DOC = {
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "image/svg+xml": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object", "description": "A Vega-Lite v6 spec."}},
}
RESPONSE_DOC = "The chart as .png, .svg, or .json: the Vega-Lite spec with its data inline."
PNG_SCALE = 2  # sharp on high-density screens and in print


class ChartArgs(KeyArgs):
    """The filters of /v1/totals; `population` applies to the nationality chart only (the
    other charts name theirs) and `kind` is always `released`."""

    class Meta:
        exclude = ("kind", "batch")


def chart(name: str, args: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The Vega-Lite spec of a chart and the rows it draws (its data table)."""
    ledger = current_app.extensions["ledger"]
    as_of = args.get("as_of")
    key = {n: args.get(n) for n in ("party", "nationality", "framework", "exchange")}
    start, end = args.get("from_"), args.get("to")
    subject, _, population = name.partition("-")
    if subject == "released":
        result = ledger.totals(
            as_of, population=population, kind="released", start=start, end=end, **key
        )
        # Only what the chart draws: the whole answer's JSON form (every event and finding)
        # costs seconds on a large ledger.
        days = [day.to_dict() for day in result.days]
        events = [
            {"period": {"start": e.period.start.isoformat()}, "entries": e.entries}
            for e in result.events
        ]
        labels = {c.id: "conflict" for c in result.conflicts}
        labels.update({f.id: f"implied ({f.reason})" for f in result.implied})
        rows = charts.cumulative_rows(days, events, labels)
        return charts.cumulative_spec(rows, population=population), rows
    if subject == "schedule":
        result = ledger.schedule(
            as_of,
            population=population,
            kind="released",
            party=key["party"],
            framework=key["framework"],
            exchange=key["exchange"],
        )
        days = [
            d.to_dict()
            for d in result.days
            if (start is None or d.date >= start) and (end is None or d.date <= end)
        ]
        rows = charts.schedule_rows(days)
        return charts.schedule_spec(rows, population=population, note=ignored(name, args)), rows
    rows = charts.nationality_rows(
        ledger.analysis(as_of), population=args.get("population"), end=end, **key
    )
    return charts.nationality_spec(rows), rows


def ignored(name: str, args: dict[str, Any]) -> str | None:
    """What a chart says about a filter it cannot apply (None when it applies them all)."""
    if name.startswith("schedule-") and args.get("nationality"):
        return (
            f"Not filtered by nationality ({args['nationality']}): the terms set no count per "
            "nationality, so both curves are for every nationality."
        )
    return None


def rendered(spec: dict[str, Any], fmt: str) -> bytes | str | dict[str, Any]:
    """The spec as a PNG, an SVG, or itself."""
    if fmt == "png":
        return vl_convert.vegalite_to_png(spec, scale=PNG_SCALE, allowed_base_urls=[])
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    return spec


def _one_of(values: tuple[str, ...] | dict[str, str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


@blp.route(f"/<any({_one_of(NAMES)}):name>.<any({_one_of(FORMATS)}):fmt>")
class Chart(MethodView):
    @by_revision
    @blp.arguments(ChartArgs(), location="query")
    @blp.response(200, description=RESPONSE_DOC)
    @blp.doc(
        responses={
            "200": {"description": RESPONSE_DOC, "content": CONTENT_DOC},
            "404": {"description": "No such chart."},
        }
    )
    def get(self, args: dict[str, Any], name: str, fmt: str) -> Response:
        """One chart of the dashboard, for the same filters as /v1/totals (and as_of).

        released-{population}: cumulative releases per day, a band from low to high with the
        certain count on top. schedule-{population}: expected by the terms beside reported,
        with each day's verdict, for the exchange given (or the only one with terms); terms
        set no count per nationality, so this chart is not filtered by nationality and says so
        in its subtitle. nationality: exact totals per nationality named in the entries (a
        dual national under each) and for the people no report gives a nationality for.
        """
        spec, _ = chart(name, args)
        body = rendered(spec, fmt)
        if isinstance(body, dict):
            return current_app.json.response(body)
        return Response(body, mimetype=FORMATS[fmt])
