"""Terms: what an agreement says should happen, with their evidence."""

from __future__ import annotations

from marshmallow import fields

from api.resources.revisable import Resource, blueprint
from api.schemas.common import AsOfArgs, DayRangeArgs, Filter, one_of
from api.schemas.entries import TermChangeSchema, TermInSchema, TermSchema
from ledger.records import FRAMEWORKS, KINDS, POPULATIONS


class TermListArgs(AsOfArgs, DayRangeArgs):
    population = fields.String(validate=one_of(POPULATIONS))
    kind = fields.String(validate=one_of(KINDS))
    party = Filter()
    framework = fields.String(validate=one_of(FRAMEWORKS))
    source = Filter()


blp = blueprint(
    Resource(
        name="terms",
        noun="term",
        in_schema=TermInSchema,
        change_schema=TermChangeSchema,
        out_schema=TermSchema,
        list_args=TermListArgs,
        description="What agreements say should happen: the schedule's expected curve.",
    )
)
