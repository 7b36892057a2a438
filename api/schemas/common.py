"""Schemas shared by every resource: periods, intervals, moments, problems."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from ledger import names
from ledger.records import (
    FIRST_DAY,
    FRAMEWORKS,
    ID_PATTERN,
    KINDS,
    LAST_DAY,
    POPULATIONS,
    QUALIFIERS,
)

ID = rf"^{ID_PATTERN}$"


def one_of(allowed: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(allowed, error=f"Must be one of {', '.join(allowed)}.")


class Shaped(fields.Nested):
    """A nested schema that documents values built in their final shape (as `sentence_shown`
    builds a sentence) and sends them as they are: marshmallow's field-by-field copy was the
    slowest step of answering with a long report's sentences."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class DateOut(fields.Date):
    """A date in an answer; the pure computations already give ISO strings."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class Day(DateOut):
    """A date written YYYY-MM-DD within the years the ledger accepts."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.date:
        if not isinstance(value, str) or len(value) != 10:
            raise ValidationError("Must be a date written YYYY-MM-DD.")
        day = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationError(f"Must lie between {FIRST_DAY} and {LAST_DAY}.")
        return day


class Moment(fields.AwareDateTime):
    """An ISO 8601 moment that names its zone (as_of, recorded_at)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=None, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        if isinstance(value, str) and len(value) == 10:
            raise ValidationError("Must be a moment with a zone, e.g. 2023-11-28T12:00:00Z.")
        try:
            moment = super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            raise ValidationError(
                "Must be an ISO 8601 moment with a zone, e.g. 2023-11-28T12:00:00Z."
            ) from None
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            # 0001-01-01T00:00:00+01:00 is a valid moment whose UTC falls before year 1.
            raise ValidationError(
                "Must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z."
            ) from None


def no_nul(value: str) -> None:
    """No stored name or id holds a NUL, and PostgreSQL refuses one in a query's parameter."""
    if "\x00" in value:
        raise ValidationError("Must not contain a NUL character.")


class _NameFilter(fields.String):
    """A name to filter by, read as names are stored (Unicode NFKC, blanks folded), so that
    a fullwidth or decomposed spelling finds the same records."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        read = super()._deserialize(value, attr, data, **kwargs)
        return names.normal(read) or read


class JsonNumber(fields.Float):
    """A JSON number: text that reads as one ("3") is refused, as a count is."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("Must be a JSON number, not text or a boolean.")
        return super()._deserialize(value, attr, data, **kwargs)


def Filter(**kwargs: Any) -> fields.String:
    """A query parameter naming a party, a nationality or an id to filter by."""
    return _NameFilter(validate=[validate.Length(min=1, max=100), no_nul], **kwargs)


def Name(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=100), **kwargs)


MAX_LISTED = 20


class OneOrMany(fields.Field):
    """One value, or a list of them: the kinds of a figure that mixes the living and the dead,
    a dual national's nationalities, the batches of merged rounds. Written back as given: one
    value as itself, several as a list."""

    def __init__(self, one: fields.Field, doc: dict[str, Any], **kwargs: Any) -> None:
        self.one = one
        listed = {"type": "array", "items": doc, "minItems": 1, "maxItems": MAX_LISTED}
        metadata = {"oneOf": [doc, listed], **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list):
            if not 1 <= len(value) <= MAX_LISTED:
                raise ValidationError(f"Must list 1 to {MAX_LISTED} values.")
            return [self.one.deserialize(v) for v in value]
        return self.one.deserialize(value)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, tuple | list):
            return value[0] if len(value) == 1 else list(value)
        return value


def Names(**kwargs: Any) -> OneOrMany:
    """A name or a list of names (each 1 to 100 characters), or null: not stated."""
    return OneOrMany(Name(), {"type": "string", "minLength": 1, "maxLength": 100}, **kwargs)


def Kinds(**kwargs: Any) -> OneOrMany:
    """A kind, or a list of kinds for a figure that mixes them."""
    return OneOrMany(
        fields.String(validate=one_of(KINDS)), {"type": "string", "enum": list(KINDS)}, **kwargs
    )


def Text(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(max=2000), **kwargs)


class PeriodSchema(Schema):
    start = Day(required=True, metadata={"description": "First day, YYYY-MM-DD."})
    end = Day(
        required=True, metadata={"description": "Last day (inclusive); equal to start for one day."}
    )


class IntervalSchema(Schema):
    low = fields.Integer(required=True, metadata={"description": "Certainly happened."})
    high = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "May have happened; null when open-ended."},
    )


class ScopeSchema(Schema):
    """A statement's scope: null is not stated (every value)."""

    population = fields.String(validate=one_of(POPULATIONS))
    kind = Kinds()
    party = fields.String(allow_none=True)
    nationality = Names(allow_none=True)
    framework = fields.String(allow_none=True, validate=one_of(FRAMEWORKS))
    exchange = fields.String(allow_none=True)
    batch = Names(allow_none=True)


class QueryArgs(Schema):
    """Query parameters, each taking one value: one given twice is refused (422, naming it),
    never read as its first value alone (`kind=released&kind=rescued` is not both)."""

    @pre_load
    def _given_once(self, data: Any, **_: Any) -> Any:
        sent = getattr(data, "data", None)  # webargs' proxy of the query as sent
        if not hasattr(sent, "getlist"):
            return data
        keys = (field.data_key or name for name, field in self.fields.items())
        repeated = sorted(k for k in keys if len(sent.getlist(k)) > 1)
        if repeated:
            raise ValidationError({k: ["Given more than once: give it once."] for k in repeated})
        return data


class AsOfArgs(QueryArgs):
    as_of = Moment(metadata={"description": "Answer as the ledger stood at this moment."})


class DayRangeArgs(QueryArgs):
    """`from` and `to`: the days a query covers, in order."""

    from_ = Day(data_key="from", metadata={"description": "Days from (inclusive)."})
    to = Day(metadata={"description": "Days to (inclusive); not before `from`."})

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("from_"), data.get("to")
        if start is not None and end is not None and start > end:
            raise ValidationError(
                f"Must not be after to ({end.isoformat()}); swap them.", field_name="from"
            )


class KeyArgs(AsOfArgs, DayRangeArgs):
    """The filters shared by entries, totals and their exports."""

    population = fields.String(validate=one_of(POPULATIONS))
    kind = fields.String(validate=one_of(KINDS))
    party = Filter()
    nationality = Filter(
        metadata={
            "description": "A nationality: dual nationals count under each of theirs. On "
            "totals, `(not named)` asks for the people no report gives a nationality for."
        }
    )
    framework = fields.String(validate=one_of(FRAMEWORKS))
    exchange = Filter(metadata={"description": "An exchange's id (exc_...)."})
    batch = Filter(metadata={"description": "A batch label within its exchange."})


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    request_id = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Per field, what is wrong with it."},
    )


QUALIFIER = one_of(QUALIFIERS)
