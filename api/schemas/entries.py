"""Entries, terms, evidence and context notes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import QUALIFIER, Name, PeriodSchema, Text, one_of
from ledger.records import FRAMEWORKS, KINDS, MAX_COUNT, POPULATIONS, TERM_PER

COUNT = validate.Range(min=0, max=MAX_COUNT, error=f"Must be between 0 and {MAX_COUNT:,}.")


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


class EntryInSchema(Schema):
    kind = fields.String(required=True, validate=one_of(KINDS))
    population = fields.String(required=True, validate=one_of(POPULATIONS))
    count = fields.Integer(required=True, strict=True, validate=COUNT)
    qualifier = fields.String(validate=QUALIFIER, load_default="exact")
    period = fields.Nested(PeriodSchema, required=True)
    party = Name(required=True)
    nationality = Name(allow_none=True)
    framework = fields.String(validate=one_of(FRAMEWORKS), load_default="other")
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
        metadata={"description": "Why the record changes."},
    )


class EntryChangeSchema(EntryInSchema, ChangeSchema):
    """A new revision of an entry: the whole entry as it should now read, and why."""


class Revised(Schema):
    id = fields.String(required=True)
    revision = fields.Integer(required=True)
    recorded_at = fields.DateTime(required=True)
    author = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    retracted = fields.Boolean(required=True)
    period = fields.Nested(PeriodSchema, required=True)
    period_phrase = fields.String(allow_none=True, required=True)
    period_note = fields.String(allow_none=True, required=True)
    description = fields.String(required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    corroboration = fields.Integer(
        required=True, metadata={"description": "How many distinct sources the evidence cites."}
    )


class EntrySchema(Revised):
    kind = fields.String(required=True)
    population = fields.String(required=True)
    count = fields.Integer(required=True)
    qualifier = fields.String(required=True)
    party = fields.String(required=True)
    nationality = fields.String(allow_none=True, required=True)
    framework = fields.String(required=True)


class EntryListArgsDoc(Schema):
    source = fields.String(metadata={"description": "Only entries citing this source."})


class TermInSchema(Schema):
    population = fields.String(required=True, validate=one_of(POPULATIONS))
    kind = fields.String(validate=one_of(KINDS), load_default="released")
    party = Name(required=True)
    count = fields.Integer(required=True, strict=True, validate=COUNT)
    per = fields.String(validate=one_of(TERM_PER), load_default="period")
    qualifier = fields.String(validate=QUALIFIER, load_default="exact")
    period = fields.Nested(PeriodSchema, required=True)
    framework = fields.String(validate=one_of(FRAMEWORKS), load_default="truce_deal")
    description = Text()
    period_phrase = Text(allow_none=True)
    period_note = Text(allow_none=True)
    evidence = fields.List(
        fields.Nested(EvidenceInSchema), required=True, validate=validate.Length(min=1, max=50)
    )


class TermChangeSchema(TermInSchema, ChangeSchema):
    """A new revision of a term."""


class TermSchema(Revised):
    population = fields.String(required=True)
    kind = fields.String(required=True)
    party = fields.String(required=True)
    count = fields.Integer(required=True)
    per = fields.String(required=True)
    qualifier = fields.String(required=True)
    framework = fields.String(required=True)


class NoteInSchema(Schema):
    topic = Name(required=True)
    count = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0))
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
