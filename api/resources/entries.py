"""Entries: reported movements of people, each with its evidence, revised by appending."""

from __future__ import annotations

from api.resources.revisable import Resource, blueprint
from api.schemas.common import Filter, KeyArgs
from api.schemas.entries import EntryChangeSchema, EntryInSchema, EntrySchema
from api.schemas.preview import PreviewSchema


class EntryListArgs(KeyArgs):
    source = Filter(metadata={"description": "Only entries citing this source."})


blp = blueprint(
    Resource(
        name="entries",
        noun="entry",
        in_schema=EntryInSchema,
        change_schema=EntryChangeSchema,
        out_schema=EntrySchema,
        list_args=EntryListArgs,
        preview_schema=PreviewSchema,
        description="Reported movements of people, each traced to the sentences that state it.",
    )
)
