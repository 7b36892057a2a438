"""Totals, schedule, still held and checks: what the ledger adds up to."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.schemas.common import (
    AsOfArgs,
    DateOut,
    IntervalSchema,
    KeyArgs,
    KeySchema,
    PeriodSchema,
    one_of,
)
from ledger.records import KINDS, POPULATIONS


class ReportSchema(Schema):
    entry = fields.String(required=True)
    count = fields.Integer(required=True)
    qualifier = fields.String(required=True)
    sources = fields.List(fields.String(), required=True)


class FindingSchema(Schema):
    """A conflict, a roll-up check, an overlap, or more reported out than captured."""

    check = fields.String(
        required=True, validate=one_of(("conflict", "roll_up", "overlap", "more_out_than_captured"))
    )
    status = fields.String(metadata={"description": "roll_up: ok, partial or mismatch."})
    key = fields.Nested(KeySchema)
    period = fields.Nested(PeriodSchema)
    entries = fields.List(fields.String())
    reports = fields.List(fields.Nested(ReportSchema))
    interval = fields.Nested(IntervalSchema)
    coarse = fields.List(fields.String())
    finer = fields.List(fields.String())
    expected = fields.Nested(IntervalSchema)
    finer_sum = fields.Nested(IntervalSchema)
    remainder = fields.Nested(IntervalSchema, allow_none=True)
    uncovered_days = fields.Integer()
    overlaps = fields.List(fields.String())
    party = fields.String()
    date = DateOut()
    captured = fields.Nested(IntervalSchema)
    out = fields.Nested(IntervalSchema)


class EventSchema(Schema):
    key = fields.Nested(KeySchema, required=True)
    period = fields.Nested(PeriodSchema, required=True)
    interval = fields.Nested(IntervalSchema, required=True)
    effective = fields.Nested(IntervalSchema, required=True)
    entries = fields.List(fields.String(), required=True)
    sources = fields.List(fields.String(), required=True)
    corroboration = fields.Integer(required=True)
    approx = fields.Boolean(required=True)
    placed = fields.Boolean(required=True)


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
    from_ = DateOut(data_key="from", allow_none=True, required=True)
    to = DateOut(allow_none=True, required=True)
    days = fields.List(fields.Nested(DaySchema), required=True)
    total = fields.Nested(IntervalSchema, required=True)
    approx = fields.Boolean(required=True)
    conflicts = fields.List(
        fields.Nested(FindingSchema),
        metadata={
            "description": "Reports of one event that disagree (left out with findings=false)."
        },
    )
    checks = fields.List(
        fields.Nested(FindingSchema),
        metadata={"description": "Roll-up checks and overlaps (left out with findings=false)."},
    )
    events = fields.List(
        fields.Nested(EventSchema),
        metadata={
            "description": "Only with events=true: every event the totals count (one per key "
            "and period, however many entries report it), with its interval, entries, sources "
            "and corroboration."
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
            "description": "false leaves out conflicts and checks: the figures alone (each "
            "day's interval and approx already reflect them; /v1/checks lists them)."
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
    population = fields.String(validate=one_of(POPULATIONS), load_default="hostages")
    kind = fields.String(validate=one_of(KINDS), load_default="released")
    party = fields.String()
    framework = fields.String(validate=one_of(("truce_deal", "parallel_deal", "other")))


class ScheduleDaySchema(Schema):
    date = DateOut(required=True)
    expected = fields.Nested(IntervalSchema, allow_none=True, required=True)
    reported = fields.Nested(IntervalSchema, allow_none=True, required=True)
    status = fields.String(required=True, validate=one_of(("met", "behind", "ahead", "unknown")))


class ScheduleSchema(Answer):
    population = fields.String(required=True)
    kind = fields.String(required=True)
    party = fields.String(allow_none=True, required=True)
    framework = fields.String(allow_none=True, required=True)
    days = fields.List(fields.Nested(ScheduleDaySchema), required=True)
    terms = fields.List(fields.String(), required=True)
    checks = fields.List(fields.Nested(FindingSchema), required=True)


class StillHeldArgs(AsOfArgs):
    party = fields.String()
    population = fields.String(validate=one_of(POPULATIONS), load_default="hostages")


class HeldDaySchema(Schema):
    date = DateOut(required=True)
    captured = fields.Nested(IntervalSchema, required=True)
    out = fields.Nested(IntervalSchema, required=True)
    still_held = fields.Nested(IntervalSchema, required=True)
    entries = fields.List(fields.String(), required=True)
    approx = fields.Boolean(required=True)


class PartyHeldSchema(Schema):
    party = fields.String(required=True)
    days = fields.List(fields.Nested(HeldDaySchema), required=True)
    total = fields.Nested(IntervalSchema, required=True)
    findings = fields.List(fields.Nested(FindingSchema), required=True)


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
    conflicts = fields.List(fields.Nested(FindingSchema), required=True)
    mismatches = fields.List(
        fields.Nested(FindingSchema),
        required=True,
        metadata={
            "description": "Roll-ups whose finer entries disagree with the coarse one, overlaps, "
            "and days with more reported out than captured."
        },
    )
    count = fields.Integer(required=True)
