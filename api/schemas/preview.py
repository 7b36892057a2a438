"""What a dry run answers: the entry as it would be stored, and what it would change."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.schemas.common import DateOut, IntervalSchema
from api.schemas.entries import EntrySchema
from api.schemas.totals import ConflictSchema, ImpliedSchema


class ChangeSchema(Schema):
    """A day whose cumulative figure would move."""

    population = fields.String(required=True)
    kind = fields.String(required=True)
    date = DateOut(required=True)
    before = fields.Nested(IntervalSchema, required=True)
    after = fields.Nested(IntervalSchema, required=True)


class PreviewSchema(Schema):
    dry_run = fields.Constant(True, required=True)
    entry = fields.Nested(
        EntrySchema, required=True, metadata={"description": "As it would be stored."}
    )
    conflicts = fields.List(
        fields.Nested(ConflictSchema),
        required=True,
        metadata={"description": "Conflicts it would add (this makes X conflict with Y)."},
    )
    implied = fields.List(
        fields.Nested(ImpliedSchema),
        required=True,
        metadata={"description": "Implied counts it would add."},
    )
    settled = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "The ids of conflicts and implied counts it would settle."},
    )
    changes = fields.List(
        fields.Nested(ChangeSchema),
        required=True,
        metadata={
            "description": "Days whose cumulative total would move, per population and kind."
        },
    )
