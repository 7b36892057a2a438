"""What the ledger adds up to: totals, schedule, still held, checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
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
from ledger.chain import Link
from ledger.checks import Checks as ChecksResult
from ledger.schedule import Schedule as ScheduleResult
from ledger.selection import SCOPE
from ledger.still_held import StillHeld as PartyHeld
from ledger.totals import Totals as TotalsResult

blp = Blueprint(
    "totals",
    __name__,
    url_prefix="/v1",
    description="Day-by-day totals as intervals, the schedule, still held, checks.",
)

KEY = SCOPE
SCHEDULE_KEY = ("exchange", "population", "kind", "party", "framework")
TOTALS, SCHEDULE, STILL_HELD = TotalsSchema(), ScheduleSchema(), StillHeldSchema()
CHECKS = ChecksSchema()


def _ledger() -> Any:
    return current_app.extensions["ledger"]


@blp.route("/totals")
class Totals(MethodView):
    @by_revision
    @blp.arguments(TotalsArgs(), location="query")
    @blp.response(200, TotalsSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Cumulative low/high per day for the groups the filters select.

        `low` certainly happened by the end of the day, `high` may have (null: open-ended):
        the exact least and greatest over every truth the entries allow. A part of an entry's
        scope it does not state covers every value, so an aggregate and its breakdown count
        once; reports that cannot all be true are listed as conflicts and the figures span
        every reading that sets aside as few of them as possible; people the bounds place
        where no report states them are listed as implied counts.
        """
        return rendered(TOTALS, _totals(args))


def _totals(args: dict[str, Any]) -> dict[str, Any]:
    as_of = args.get("as_of")
    filters = {name: args.get(name) for name in KEY}
    days = {"start": args.get("from_"), "end": args.get("to")}
    if args.get("entries") is False and args.get("findings") is False and not args.get("events"):
        # The figures alone: a query over the read model, where it keeps the question.
        found = _ledger().day_totals(as_of, **days, **filters)
        if found is not None:
            revision, figures = found
            return totals_answer(args, figures, revision)
    result = _ledger().totals(as_of, **days, **filters)
    return totals_answer(args, result, _ledger().state(as_of).revision)


def totals_answer(args: dict[str, Any], result: TotalsResult, revision: int) -> dict[str, Any]:
    """The /v1/totals answer: the question asked, the revision, and the totals (with their
    events only when asked, each day's entries and the findings unless declined: on a large
    ledger they outweigh the figures many times)."""
    declined = set() if args.get("events") else {"events"}
    per_day: tuple[str, ...] = () if args.get("entries") is not False else ("entries",)
    if args.get("findings") is False:
        declined |= {"conflicts", "implied", "checks"}
        per_day = (*per_day, "findings")
    found = {
        "days": [day.to_dict(leave_out=per_day) for day in result.days],
        **result.to_dict(leave_out={*declined, "days"}),
    }
    return {
        **{name: args.get(name) for name in KEY},
        "from_": args.get("from_"),
        "to": args.get("to"),
        "as_of": args.get("as_of"),
        "revision": revision,
        **found,
    }


@blp.route("/schedule")
class Schedule(MethodView):
    @by_revision
    @blp.arguments(ScheduleArgs(), location="query")
    @blp.response(200, ScheduleSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Per day, the cumulative the terms expect beside the reported one.

        Each day's status is met, behind, ahead or unknown.
        """
        return rendered(SCHEDULE, _schedule(args))


def _schedule(args: dict[str, Any]) -> dict[str, Any]:
    as_of = args.get("as_of")
    result = _ledger().schedule(as_of, **{name: args.get(name) for name in SCHEDULE_KEY})
    return schedule_answer(args, result, _ledger().state(as_of).revision)


def schedule_answer(args: dict[str, Any], result: ScheduleResult, revision: int) -> dict[str, Any]:
    """The /v1/schedule answer: the question, the revision, the days, the terms behind them."""
    expected = result.expected
    return {
        **{name: args.get(name) for name in SCHEDULE_KEY},
        "as_of": args.get("as_of"),
        "revision": revision,
        "days": [day.to_dict() for day in result.days],
        "exchange": result.exchange,
        "terms": list(result.terms),
        "conflicts": [c.to_dict() for c in expected.conflicts],
    }


@blp.route("/still-held")
class StillHeld(MethodView):
    @by_revision
    @blp.arguments(StillHeldArgs(), location="query")
    @blp.response(200, StillHeldSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Captured minus released, rescued, found dead and remains returned, per party, as
        intervals."""
        return rendered(STILL_HELD, _still_held(args))


def _still_held(args: dict[str, Any]) -> dict[str, Any]:
    as_of = args.get("as_of")
    parties = _ledger().still_held(as_of, party=args.get("party"), population=args["population"])
    return still_held_answer(args, parties, _ledger().state(as_of).revision)


def still_held_answer(args: dict[str, Any], parties: Iterable[PartyHeld], revision: int) -> dict:
    """The /v1/still-held answer: per party, its days, total and findings."""
    return {
        "population": args["population"],
        "as_of": args.get("as_of"),
        "revision": revision,
        "parties": [
            {
                "party": p.party,
                "days": [d.to_dict() for d in p.days],
                "total": p.total.to_dict(),
                "findings": [f.to_dict() for f in p.findings],
            }
            for p in parties
        ],
    }


@blp.route("/checks")
class Checks(MethodView):
    @by_revision
    @blp.arguments(AsOfArgs(), location="query")
    @blp.response(200, ChecksSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Every conflict and implied count in the ledger, and the chain head to cite."""
        return rendered(CHECKS, _checks(args.get("as_of")))


def _checks(as_of: dt.datetime | None) -> dict[str, Any]:
    found, head = _ledger().checks(as_of), _ledger().chain_head(as_of)
    return checks_answer(as_of, found, head, _ledger().state(as_of).revision)


def checks_answer(
    as_of: dt.datetime | None, found: ChecksResult, head: Link | None, revision: int
) -> dict[str, Any]:
    """The /v1/checks answer: the findings, and the journal's head at that revision."""
    chain = head and {"seq": head.seq, "sha256": head.chain_sha256, "recorded_at": head.recorded_at}
    return {
        "as_of": as_of,
        "revision": revision,
        "chain": chain,
        "count": found.count,
        **found.to_dict(),
    }
