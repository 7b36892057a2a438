"""The ledger as CSV files and a Frictionless Data Package, streamed from the database."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for
from flask.views import MethodView

from api.caching import by_revision
from api.pagination import Blueprint
from api.schemas.common import AsOfArgs, Filter, KeyArgs
from ledger import publication
from ledger.errors import InvalidInput
from ledger.selection import Selection

blp = Blueprint(
    "export",
    __name__,
    url_prefix="/v1/export",
    description="CSV (RFC 4180, UTF-8) and a Frictionless Data Package.",
)

TABLE_NAMES = ", ".join(publication.TABLES)


class ExportArgs(KeyArgs):
    source = Filter(
        metadata={
            "description": "Only rows of entries citing this source (entries.csv, "
            "evidence.csv), or of this source (sources.csv, sentences.csv); totals.csv "
            "refuses it (422)."
        }
    )


@blp.route(f"/<any({TABLE_NAMES}):table>.csv")
class Table(MethodView):
    @by_revision
    @blp.arguments(ExportArgs(), location="query")
    @blp.response(
        200,
        description="One header row, then one row per record; streamed.",
        content_type="text/csv",
    )
    def get(self, args: dict[str, Any], table: str) -> Response:
        """A table of the ledger as CSV, with the filters of its JSON route and as_of.

        entries and evidence take every filter; totals the key's parts, from and to (its days);
        sources and sentences only source. A filter a table cannot apply is refused with 422
        rather than ignored, so a file is never mistaken for a selection it is not.
        """
        _refuse_filters_of_other_tables(publication.TABLES[table], args)
        as_of = args.pop("as_of", None)
        args["start"], args["end"] = args.pop("from_", None), args.pop("to", None)
        text = current_app.extensions["ledger"].published_csv(table, as_of, Selection(**args))
        response = Response(text, mimetype="text/csv")
        response.charset = "utf-8"
        moment = f"-as-of-{as_of:%Y%m%dT%H%M%SZ}" if as_of else ""
        response.headers["Content-Disposition"] = (
            f'attachment; filename="exchange-ledger-{table}{moment}.csv"'
        )
        return response


def _refuse_filters_of_other_tables(table: publication.Table, args: dict[str, Any]) -> None:
    given = {("from" if name == "from_" else name) for name in args if name != "as_of"}
    wrong = sorted(given - set(table.filters))
    if wrong:
        takes = ", ".join(table.filters)
        raise InvalidInput(
            {
                name: [
                    f"{table.name}.csv cannot be filtered by {name}; it takes {takes} and as_of."
                ]
                for name in wrong
            }
        )


@blp.route("/datapackage.json")
class Package(MethodView):
    @by_revision
    @blp.arguments(AsOfArgs(), location="query")
    @blp.response(200, description="A Frictionless Data Package describing the five CSV files.")
    def get(self, args: dict[str, Any]) -> Any:
        """The data package: each CSV's Table Schema, keys, license and sources."""
        as_of = args.get("as_of")
        query = {"as_of": as_of.isoformat()} if as_of else {}
        ledger = current_app.extensions["ledger"]
        reports = [
            publication.cited_source(
                row[0],
                row[2],
                row[3],
                row[5],
                url_for("sources.SourceText", source_id=row[0], _external=True),
            )
            for row in ledger.published_rows("sources", as_of)
        ]

        def path_of(name: str) -> str:
            # Relative to this descriptor, so the package validates wherever it is served.
            return url_for("export.Table", table=name, **query).rsplit("/", 1)[1]

        return publication.datapackage(path_of, reports, query.get("as_of"))
