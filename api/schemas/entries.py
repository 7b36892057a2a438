"""Entries, terms, evidence and context notes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, validate

from api.schemas.common import (
    ID,
    QUALIFIER,
    Day,
    JsonNumber,
    Kinds,
    Name,
    Names,
    PeriodSchema,
    Text,
    one_of,
)
from ledger.records import FRAMEWORKS, ID_TAIL, KINDS, MAX_COUNT, POPULATIONS, TERM_PER

COUNT = validate.Range(min=0, max=MAX_COUNT, error=f"Must be between 0 and {MAX_COUNT:,}.")

# The request examples cite the seed ledger's two reports by their ids (src_ and the first 16
# hex digits of the SHA-256 of seed/*.txt) with quotes that really occur there, so an example
# sent from /docs, or by schemathesis' examples phase, is a write the ledger accepts.
SEED_REPORT = "src_1ad57b34380d078e"  # seed/000_107769c31182abaa.txt
SEED_REPORT_DATED = "src_53be30cdb8808ddb"  # seed/001_e79ee798e13953f7.txt
TRUCE_DAYS = {"start": "2023-11-24", "end": "2023-11-27"}
SEED_EXCHANGE = "exc_nov2023_truce"
NOT_STATED = " Left out or null: not stated, which covers every value."


def example(body: dict[str, Any]) -> Callable[[type[Schema]], type[Schema]]:
    """Document a request body's example on its schema's fields, where OpenAPI shows it."""

    def annotate(schema: type[Schema]) -> type[Schema]:
        for name, value in body.items():
            schema._declared_fields[name].metadata["example"] = value
        return schema

    return annotate


class EvidenceInSchema(Schema):
    source = fields.String(required=True, validate=validate.Length(min=1, max=64))
    sentence = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=0),
        metadata={
            "description": "May be left out when the quote occurs exactly once in the source."
        },
    )
    quote = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "The report's exact words."},
    )


class EvidenceSchema(Schema):
    source = fields.String(required=True)
    sentence = fields.Integer(required=True)
    quote = fields.String(required=True)
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)
    sentence_text = fields.String(required=True)
    published_on = fields.Date(required=True)


class EntryPeriodSchema(Schema):
    start = Day(
        metadata={
            "description": "First day, YYYY-MM-DD. May be left out when the entry names its "
            "exchange: a running total from the exchange's first day."
        }
    )
    end = Day(
        required=True,
        metadata={"description": "Last day (inclusive); equal to start for one day."},
    )


@example(
    {
        "kind": "released",
        "population": "hostages",
        "count": 50,
        "qualifier": "exact",
        "period": TRUCE_DAYS,
        "party": "Hamas",
        "nationality": "Israeli",
        "framework": "truce_deal",
        "exchange": SEED_EXCHANGE,
        "description": "Israeli women and children who had been taken hostage",
        "period_phrase": "During the first four days of the truce",
        "period_note": "The truce's four days ended on Monday 2023-11-27.",
        "evidence": [
            {
                "source": SEED_REPORT,
                "quote": "Hamas fighters released 50 Israeli women and children who had been "
                "taken hostage",
            }
        ],
    }
)
class EntryInSchema(Schema):
    kind = Kinds(
        required=True,
        metadata={"description": "One kind, or several for a figure that mixes them."},
    )
    population = fields.String(required=True, validate=one_of(POPULATIONS))
    count = fields.Integer(required=True, strict=True, validate=COUNT)
    qualifier = fields.String(validate=QUALIFIER, load_default="exact")
    count_high = fields.Integer(
        strict=True,
        allow_none=True,
        validate=COUNT,
        metadata={"description": "Only with qualifier between: the top of the range."},
    )
    period = fields.Nested(EntryPeriodSchema, required=True)
    party = Name(allow_none=True, metadata={"description": "Who released them." + NOT_STATED})
    nationality = Names(
        allow_none=True,
        metadata={"description": "One nationality, or a dual national's." + NOT_STATED},
    )
    framework = fields.String(
        allow_none=True,
        validate=one_of(FRAMEWORKS),
        metadata={"description": "Under which deal." + NOT_STATED},
    )
    exchange = fields.String(
        allow_none=True,
        validate=validate.Regexp(ID, error="Must be an exchange's id (exc_...)."),
        metadata={"description": "The exchange's id." + NOT_STATED},
    )
    batch = Names(
        allow_none=True,
        metadata={
            "description": "The handover, a label unique within the exchange (several for "
            "merged rounds); needs the exchange." + NOT_STATED
        },
    )
    description = Text(metadata={"description": "The group as the report names it."})
    period_phrase = Text(allow_none=True)
    period_note = Text(allow_none=True)
    evidence = fields.List(
        fields.Nested(EvidenceInSchema), required=True, validate=validate.Length(min=1, max=50)
    )


class ChangeSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={
            "description": "Why the record changes.",
            "example": "Reread the report: the figure is as quoted.",
        },
    )


class EntryChangeSchema(EntryInSchema, ChangeSchema):
    """A new revision of an entry: the whole entry as it should now read, and why."""


class Revision(Schema):
    """What every revisable record carries: its revision, who made it and why, its evidence."""

    id = fields.String(required=True)
    revision = fields.Integer(required=True)
    recorded_at = fields.DateTime(required=True)
    author = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    retracted = fields.Boolean(required=True)
    description = fields.String(required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    corroboration = fields.Integer(
        required=True, metadata={"description": "How many distinct sources the evidence cites."}
    )


class Revised(Revision):
    period = fields.Nested(PeriodSchema, required=True)
    period_phrase = fields.String(allow_none=True, required=True)
    period_note = fields.String(allow_none=True, required=True)


class EntrySchema(Revised):
    kind = Kinds(required=True)
    population = fields.String(required=True)
    count = fields.Integer(required=True)
    qualifier = fields.String(required=True)
    count_high = fields.Integer(allow_none=True, required=True)
    party = fields.String(allow_none=True, required=True)
    nationality = Names(allow_none=True, required=True)
    framework = fields.String(allow_none=True, required=True)
    exchange = fields.String(allow_none=True, required=True)
    batch = Names(allow_none=True, required=True)


class EntryListArgsDoc(Schema):
    source = fields.String(metadata={"description": "Only entries citing this source."})


@example(
    {
        "exchange": SEED_EXCHANGE,
        "population": "hostages",
        "kind": "released",
        "party": "Hamas",
        "count": 50,
        "per": "period",
        "qualifier": "exact",
        "period": TRUCE_DAYS,
        "framework": "truce_deal",
        "description": "50 hostages over the truce's four days, in return for 150 detainees",
        "period_phrase": "Over the initial four-day pause",
        "period_note": "The truce's four days, 2023-11-24 to 2023-11-27.",
        "evidence": [
            {
                "source": SEED_REPORT_DATED,
                "quote": "Over the initial four-day pause, 50 civilian hostages - all women and "
                "children - were freed in return for 150 Palestinian prisoners held by Israel.",
            }
        ],
    }
)
class TermInSchema(Schema):
    exchange = fields.String(
        required=True,
        validate=validate.Regexp(ID, error="Must be an exchange's id (exc_...)."),
        metadata={"description": "The exchange whose terms these are."},
    )
    population = fields.String(required=True, validate=one_of(POPULATIONS))
    kind = fields.String(validate=one_of(KINDS), load_default="released")
    party = Name(required=True)
    count = fields.Integer(required=True, strict=True, validate=COUNT)
    per = fields.String(validate=one_of(TERM_PER), load_default="period")
    qualifier = fields.String(validate=QUALIFIER, load_default="exact")
    period = fields.Nested(PeriodSchema, required=True)
    framework = fields.String(allow_none=True, validate=one_of(FRAMEWORKS))
    description = Text()
    period_phrase = Text(allow_none=True)
    period_note = Text(allow_none=True)
    evidence = fields.List(
        fields.Nested(EvidenceInSchema), required=True, validate=validate.Length(min=1, max=50)
    )


class TermChangeSchema(TermInSchema, ChangeSchema):
    """A new revision of a term."""


class TermSchema(Revised):
    exchange = fields.String(allow_none=True, required=True)
    population = fields.String(required=True)
    kind = fields.String(required=True)
    party = fields.String(required=True)
    count = fields.Integer(required=True)
    per = fields.String(required=True)
    qualifier = fields.String(required=True)
    framework = fields.String(allow_none=True, required=True)


@example(
    {
        "name": "November 2023 truce",
        "parties": ["Israel", "Hamas"],
        "first_day": "2023-11-24",
        "description": "The truce between Israel and Hamas in Gaza, from its first day.",
        "evidence": [{"source": SEED_REPORT, "quote": "an original four-day truce deal"}],
    }
)
class ExchangeInSchema(Schema):
    id = fields.String(
        validate=validate.Regexp(
            rf"^exc_{ID_TAIL}$", error="Must be exc_ then lower-case letters, digits or _."
        ),
        metadata={"description": "An id of your choosing (exc_...); a new one if left out."},
    )
    name = Name(required=True)
    parties = fields.List(Name(), required=True, validate=validate.Length(min=1, max=20))
    first_day = Day(required=True)
    last_day = Day(allow_none=True, metadata={"description": "Null while not known."})
    description = Text()
    evidence = fields.List(
        fields.Nested(EvidenceInSchema), required=True, validate=validate.Length(min=1, max=50)
    )


class ExchangeChangeSchema(ExchangeInSchema, ChangeSchema):
    """A new revision of an exchange (its last day, once known), and why."""

    class Meta:
        exclude = ("id",)


class ExchangeSchema(Revision):
    name = fields.String(required=True)
    parties = fields.List(fields.String(), required=True)
    first_day = fields.Date(required=True)
    last_day = fields.Date(allow_none=True, required=True)


@example(
    {
        "topic": "killed on October 7",
        "count": 1200,
        "unit": "people",
        "qualifier": "approx",
        "description": "people killed on October 7, as the report states it",
        "period": {"start": "2023-10-07", "end": "2023-10-07"},
        "evidence": [{"source": SEED_REPORT, "quote": "killed around 1,200 people"}],
    }
)
class NoteInSchema(Schema):
    topic = Name(required=True)
    count = JsonNumber(
        required=True,
        allow_nan=False,
        validate=COUNT,
        metadata={"description": "At most 100 with unit percent."},
    )
    unit = fields.String(validate=one_of(("people", "percent")), load_default="people")
    qualifier = fields.String(
        validate=one_of(("exact", "at_least", "at_most", "approx", "more_than")),
        load_default="exact",
    )
    description = Text()
    period = fields.Nested(PeriodSchema, allow_none=True)
    evidence = fields.List(
        fields.Nested(EvidenceInSchema), required=True, validate=validate.Length(min=1, max=50)
    )


class NoteSchema(Schema):
    id = fields.String(required=True)
    topic = fields.String(required=True)
    count = fields.Float(required=True)
    unit = fields.String(required=True)
    qualifier = fields.String(required=True)
    description = fields.String(required=True)
    period = fields.Nested(PeriodSchema, allow_none=True, required=True)
    recorded_at = fields.DateTime(required=True)
    author = fields.String(required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
