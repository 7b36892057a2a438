"""Totals, schedule, still held and checks: what the ledger adds up to."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.schemas.common import (
    AsOfArgs,
    DateOut,
    Filter,
    IntervalSchema,
    KeyArgs,
    PeriodSchema,
    ScopeSchema,
    one_of,
)
from ledger.records import FRAMEWORKS, KINDS, POPULATIONS


class SaidSchema(Schema):
    """One report of a conflict."""

    entry = fields.String(required=True)
    count = fields.Integer(required=True)
    qualifier = fields.String(required=True)
    stated = fields.Nested(
        IntervalSchema, required=True, metadata={"description": "The range the report gives."}
    )
    period = fields.Nested(PeriodSchema, required=True)
    sources = fields.List(fields.String(), required=True)
    implied = fields.Nested(
        IntervalSchema,
        allow_none=True,
        required=True,
        metadata={"description": "The range the other reports of its conflict allow for it."},
    )


class ConflictSchema(Schema):
    """Reports that cannot all be true."""

    check = fields.String(required=True, validate=one_of(("conflict",)))
    id = fields.String(required=True)
    period = fields.Nested(PeriodSchema, required=True)
    entries = fields.List(fields.String(), required=True)
    reports = fields.List(fields.Nested(SaidSchema), required=True)
    readings = fields.List(
        fields.List(fields.String()),
        required=True,
        metadata={
            "description": "Each reading: the entries it sets aside, as few as possible; the "
            "totals span every reading."
        },
    )
    set_aside = fields.Integer(required=True)


class ImpliedSchema(Schema):
    """People the bounds place where no report states them."""

    check = fields.String(required=True, validate=one_of(("implied",)))
    id = fields.String(required=True)
    reason = fields.String(
        required=True,
        validate=one_of(("rest", "placed", "undated")),
        metadata={
            "description": "rest: the part of a count no finer report gives (a running "
            "total's remainder, an aggregate's unnamed rest); placed: part of a count that "
            "other reports place in a narrower group or day; undated: a count whose day no "
            "report gives."
        },
    )
    period = fields.Nested(PeriodSchema, required=True)
    days = fields.List(fields.Nested(PeriodSchema), required=True)
    interval = fields.Nested(IntervalSchema, required=True)
    entries = fields.List(fields.String(), required=True)
    less = fields.List(fields.String(), required=True)
    description = fields.String(required=True)


class ApproxSchema(Schema):
    check = fields.String(required=True, validate=one_of(("approx",)))
    entry = fields.String(required=True)
    count = fields.Integer(required=True)
    period = fields.Nested(PeriodSchema, required=True)


class MismatchSchema(Schema):
    """More reported out than captured by a day."""

    check = fields.String(required=True, validate=one_of(("more_out_than_captured",)))
    party = fields.String(allow_none=True, required=True)
    date = DateOut(required=True)
    captured = fields.Nested(IntervalSchema, required=True)
    out = fields.Nested(IntervalSchema, required=True)


class EventSchema(Schema):
    scope = fields.Nested(ScopeSchema, required=True)
    period = fields.Nested(PeriodSchema, required=True)
    interval = fields.Nested(IntervalSchema, required=True)
    entries = fields.List(fields.String(), required=True)
    sources = fields.List(fields.String(), required=True)
    corroboration = fields.Integer(required=True)
    approx = fields.Boolean(required=True)


class DaySchema(Schema):
    date = DateOut(required=True)
    daily = fields.Nested(IntervalSchema, required=True)
    cumulative = fields.Nested(IntervalSchema, required=True)
    entries = fields.List(
        fields.String(),
        metadata={
            "description": "Entries whose period covers the day (left out with entries=false)."
        },
    )
    approx = fields.Boolean(required=True)
    findings = fields.List(
        fields.String(),
        metadata={
            "description": "The conflicts and implied counts behind the day's figures, by id "
            "(left out with findings=false)."
        },
    )


class Answer(Schema):
    """What every computed answer says about itself."""

    as_of = fields.DateTime(allow_none=True, required=True)
    revision = fields.Integer(
        required=True,
        metadata={
            "description": "The ledger's revision (number of writes) the answer was computed at."
        },
    )


class TotalsSchema(Answer):
    population = fields.String(allow_none=True, required=True)
    kind = fields.String(allow_none=True, required=True)
    party = fields.String(allow_none=True, required=True)
    nationality = fields.String(allow_none=True, required=True)
    framework = fields.String(allow_none=True, required=True)
    exchange = fields.String(allow_none=True, required=True)
    batch = fields.String(allow_none=True, required=True)
    from_ = DateOut(data_key="from", allow_none=True, required=True)
    to = DateOut(allow_none=True, required=True)
    days = fields.List(fields.Nested(DaySchema), required=True)
    total = fields.Nested(IntervalSchema, required=True)
    approx = fields.Boolean(required=True)
    conflicts = fields.List(
        fields.Nested(ConflictSchema),
        metadata={
            "description": "Reports that cannot all be true, with the readings the totals "
            "span (left out with findings=false)."
        },
    )
    implied = fields.List(
        fields.Nested(ImpliedSchema),
        metadata={
            "description": "People the bounds place where no report states them (left out "
            "with findings=false)."
        },
    )
    checks = fields.List(
        fields.Nested(ApproxSchema),
        metadata={
            "description": "Reports whose approximate count is counted as stated (left out "
            "with findings=false)."
        },
    )
    events = fields.List(
        fields.Nested(EventSchema),
        metadata={
            "description": "Only with events=true: every event the totals count (reports with "
            "one scope and period are one event, however many entries report it), with its "
            "interval, entries, sources and corroboration."
        },
    )


class TotalsArgs(KeyArgs):
    entries = fields.Boolean(
        load_default=True,
        metadata={
            "description": "false leaves out each day's list of entries: the figures alone, "
            "for a chart of a large ledger (/v1/entries?from=&to= lists a day's entries)."
        },
    )
    findings = fields.Boolean(
        load_default=True,
        metadata={
            "description": "false leaves out conflicts, implied counts and checks: the "
            "figures alone (each day's interval and approx already reflect them; /v1/checks "
            "lists them)."
        },
    )
    events = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Add every event behind the totals (a long list on a large "
            "ledger; the days already name their entries)."
        },
    )


class ScheduleArgs(AsOfArgs):
    exchange = Filter(
        metadata={
            "description": "The exchange whose terms to follow (needed when terms of more "
            "than one exchange match)."
        }
    )
    population = fields.String(validate=one_of(POPULATIONS), load_default="hostages")
    kind = fields.String(validate=one_of(KINDS), load_default="released")
    party = Filter()
    framework = fields.String(validate=one_of(FRAMEWORKS))


class ScheduleDaySchema(Schema):
    date = DateOut(required=True)
    expected = fields.Nested(IntervalSchema, allow_none=True, required=True)
    reported = fields.Nested(IntervalSchema, allow_none=True, required=True)
    status = fields.String(required=True, validate=one_of(("met", "behind", "ahead", "unknown")))


class ScheduleSchema(Answer):
    exchange = fields.String(allow_none=True, required=True)
    population = fields.String(required=True)
    kind = fields.String(required=True)
    party = fields.String(allow_none=True, required=True)
    framework = fields.String(allow_none=True, required=True)
    days = fields.List(fields.Nested(ScheduleDaySchema), required=True)
    terms = fields.List(fields.String(), required=True)
    conflicts = fields.List(
        fields.Nested(ConflictSchema),
        required=True,
        metadata={"description": "Terms that cannot all hold."},
    )


class StillHeldArgs(AsOfArgs):
    party = Filter()
    population = fields.String(validate=one_of(POPULATIONS), load_default="hostages")


class HeldDaySchema(Schema):
    date = DateOut(required=True)
    captured = fields.Nested(IntervalSchema, required=True)
    out = fields.Nested(IntervalSchema, required=True)
    still_held = fields.Nested(IntervalSchema, required=True)
    entries = fields.List(fields.String(), required=True)
    approx = fields.Boolean(required=True)


class PartyHeldSchema(Schema):
    party = fields.String(
        allow_none=True, required=True, metadata={"description": "null: every party together."}
    )
    days = fields.List(fields.Nested(HeldDaySchema), required=True)
    total = fields.Nested(IntervalSchema, required=True)
    findings = fields.List(fields.Nested(MismatchSchema), required=True)


class StillHeldSchema(Answer):
    population = fields.String(required=True)
    parties = fields.List(fields.Nested(PartyHeldSchema), required=True)


class ChainHeadSchema(Schema):
    seq = fields.Integer(required=True, metadata={"description": "The journal row's number."})
    sha256 = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Its hash in the chain of all writes."},
    )
    recorded_at = fields.DateTime(required=True)


class ChecksSchema(Answer):
    chain = fields.Nested(
        ChainHeadSchema,
        allow_none=True,
        required=True,
        metadata={
            "description": "The head of the journal's hash chain: cite it with a published figure; "
            "'exchange-ledger verify' recomputes the chain up to it."
        },
    )
    conflicts = fields.List(
        fields.Nested(ConflictSchema),
        required=True,
        metadata={"description": "Every conflict, with the readings that set its reports aside."},
    )
    implied = fields.List(
        fields.Nested(ImpliedSchema),
        required=True,
        metadata={"description": "Every implied count, naming the entries that imply it."},
    )
    mismatches = fields.List(
        fields.Nested(MismatchSchema),
        required=True,
        metadata={"description": "Days with more reported out than captured."},
    )
    count = fields.Integer(
        required=True, metadata={"description": "Conflicts and mismatches: what to review."}
    )
