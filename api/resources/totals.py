"""What the ledger adds up to: totals, schedule, still held, checks."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from api.caching import by_revision, rendered
from api.pagination import Blueprint
from api.schemas.common import AsOfArgs
from api.schemas.totals import (
    ChecksSchema,
    ScheduleArgs,
    ScheduleSchema,
    StillHeldArgs,
    StillHeldSchema,
    TotalsArgs,
    TotalsSchema,
)

blp = Blueprint(
    "totals",
    __name__,
    url_prefix="/v1",
    description="Day-by-day totals as intervals, the schedule, still held, checks.",
)

KEY = ("population", "kind", "party", "nationality", "framework")
TOTALS = TotalsSchema()


def _ledger() -> Any:
    return current_app.extensions["ledger"]


@blp.route("/totals")
class Totals(MethodView):
    @by_revision
    @blp.arguments(TotalsArgs, location="query")
    @blp.response(200, TotalsSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Cumulative low/high per day for the entries matching the filters.

        `low` certainly happened by the end of the day, `high` may have (null: open-ended).
        Reports of one event count once; finer entries inside a coarser one count and the
        coarse one is checked against them.
        """
        return rendered(TOTALS, args, lambda: _totals(args))


def _totals(args: dict[str, Any]) -> dict[str, Any]:
    as_of = args.get("as_of")
    filters = {name: args.get(name) for name in KEY}
    result = _ledger().totals(as_of, start=args.get("from_"), end=args.get("to"), **filters)
    return {
        **filters, "from_": args.get("from_"), "to": args.get("to"), "as_of": as_of,
        "revision": _ledger().state(as_of).revision, **result.to_dict(),
    }  # fmt: skip


@blp.route("/schedule")
class Schedule(MethodView):
    @by_revision
    @blp.arguments(ScheduleArgs, location="query")
    @blp.response(200, ScheduleSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Per day, the cumulative the terms expect beside the reported one: met, behind,
        ahead or unknown."""
        as_of = args.get("as_of")
        key = {name: args.get(name) for name in ("population", "kind", "party", "framework")}
        result = _ledger().schedule(as_of, **key)
        return {
            **key, "as_of": as_of, "revision": _ledger().state(as_of).revision,
            "days": [day.to_dict() for day in result.days],
            "terms": sorted({i for event in result.expected.events for i in event.entries}),
            "checks": [c.to_dict() for c in (*result.expected.conflicts,
                                             *result.expected.checks)],
        }  # fmt: skip


@blp.route("/still-held")
class StillHeld(MethodView):
    @by_revision
    @blp.arguments(StillHeldArgs, location="query")
    @blp.response(200, StillHeldSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Captured minus released, rescued and found dead, per party, as intervals."""
        as_of = args.get("as_of")
        parties = _ledger().still_held(
            as_of, party=args.get("party"), population=args["population"]
        )
        return {
            "population": args["population"], "as_of": as_of,
            "revision": _ledger().state(as_of).revision,
            "parties": [
                {"party": p.party, "days": [d.to_dict() for d in p.days],
                 "total": p.total.to_dict(), "findings": [f.to_dict() for f in p.findings]}
                for p in parties
            ],
        }  # fmt: skip


@blp.route("/checks")
class Checks(MethodView):
    @by_revision
    @blp.arguments(AsOfArgs, location="query")
    @blp.response(200, ChecksSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every conflict and roll-up mismatch in the ledger."""
        as_of = args.get("as_of")
        found = _ledger().checks(as_of)
        head = _ledger().chain_head(as_of)
        chain = head and {
            "seq": head.seq,
            "sha256": head.chain_sha256,
            "recorded_at": head.recorded_at,
        }
        return {
            "as_of": as_of,
            "revision": _ledger().state(as_of).revision,
            "chain": chain,
            "count": found.count,
            **found.to_dict(),
        }
