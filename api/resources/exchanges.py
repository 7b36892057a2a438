"""Exchanges: the arrangements under which people are released, revised like entries."""

from __future__ import annotations

from api.resources.revisable import Resource, blueprint
from api.schemas.common import AsOfArgs, Filter
from api.schemas.entries import ExchangeChangeSchema, ExchangeInSchema, ExchangeSchema


class ExchangeListArgs(AsOfArgs):
    source = Filter(metadata={"description": "Only exchanges citing this source."})


blp = blueprint(
    Resource(
        name="exchanges",
        noun="exchange",
        in_schema=ExchangeInSchema,
        change_schema=ExchangeChangeSchema,
        out_schema=ExchangeSchema,
        list_args=ExchangeListArgs,
        description="Exchanges: a truce, a ceasefire's phase, a prisoner swap; named, with its "
        "parties, first and last day, and evidence. Entries and terms name theirs.",
    )
)
