"""Sources and sentences."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import Day, Shaped
from api.schemas.entries import example
from ledger.records import SENTENCE_KINDS


@example(
    {
        "text": "date 2023-11-29\nHamas released 12 hostages on Wednesday, officials said.\n"
        "Israel freed 30 Palestinian detainees later that night.\n",
        "published_on": "2023-11-29",
        "title": "Twelve hostages and thirty detainees released on the truce's sixth day",
        "publisher": "Example Wire",
        "url": "https://example.org/2023/11/29/truce-day-six",
    }
)
class SourceInSchema(Schema):
    text = fields.String(required=True, metadata={"description": "The report, byte-for-byte."})
    published_on = Day(
        metadata={"description": "Required unless the text starts with a 'date YYYY-MM-DD' line."}
    )
    title = fields.String(validate=validate.Length(min=1, max=500))
    publisher = fields.String(validate=validate.Length(min=1, max=500))
    url = fields.String(validate=validate.Length(min=1, max=500))


class SentenceSchema(Schema):
    source = fields.String(required=True)
    n = fields.Integer(required=True)
    start = fields.Integer(required=True, metadata={"description": "Code point offset."})
    end = fields.Integer(required=True, metadata={"description": "Exclusive."})
    text = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(SENTENCE_KINDS))


class ListedSourceSchema(Schema):
    """A source as GET /v1/sources lists it: without its text or sentences."""

    id = fields.String(required=True)
    sha256 = fields.String(required=True)
    published_on = fields.Date(required=True)
    title = fields.String(allow_none=True, required=True)
    publisher = fields.String(allow_none=True, required=True)
    url = fields.String(allow_none=True, required=True)
    recorded_at = fields.DateTime(required=True)
    sentence_count = fields.Integer(required=True)


class SourceSchema(ListedSourceSchema):
    sentences = Shaped(SentenceSchema, many=True, required=True)
