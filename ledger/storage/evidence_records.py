"""Evidence: the quotes from sources that back entries, terms, exchanges and context notes,
written beside their owner and read back per owner, for the whole ledger at once, or for
`verify`. A mixin of `ledger.storage.repository.Repository`, under the revision records of
`ledger.storage.revision_records`, which write and read evidence through it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, insert
from sqlmodel import Session, col, select

from ledger.records import Evidence
from ledger.storage.rows import _quoted
from ledger.storage.tables import (
    EntryRevisionRow,
    EvidenceRow,
    ExchangeRevisionRow,
    SentenceRow,
    SourceRow,
    TermRevisionRow,
)

EVIDENCE_SLICE = 5_000

# Built once, as the statements of the other hot paths are: every write with evidence runs it.
NEW_EVIDENCE = insert(EvidenceRow.__table__)


class EvidenceRecords:
    """Writes and reads evidence for whatever owns it (a part of `Repository`)."""

    session: Session
    connection: Connection  # Repository's: the unit of work's, asked of the session once

    def _add_evidence(self, items: Sequence[Evidence], **owner: object) -> None:
        if not items:
            return
        self.session.flush()  # the owner's row first, if it was added as an object
        owners = {
            "entry_revision_id": None,
            "term_revision_id": None,
            "exchange_revision_id": None,
            "note_id": None,
            **owner,
        }
        self.connection.execute(
            NEW_EVIDENCE,
            [
                {
                    **owners,
                    "position": i,
                    **_quoted(e),
                }
                for i, e in enumerate(items)
            ],
        )

    def _evidence(self, owner: object, owner_ids: Sequence[object]) -> dict[object, tuple]:
        # Plain columns, not ORM objects: this runs once per batch of a streamed export.
        found: dict[object, list[Evidence]] = defaultdict(list)
        # In slices: a driver binds at most 65,535 parameters (SQLite often fewer).
        for first in range(0, len(owner_ids), EVIDENCE_SLICE):
            rows = self.session.execute(
                select(
                    owner,
                    EvidenceRow.source_id,
                    EvidenceRow.sentence_n,
                    EvidenceRow.quote,
                    EvidenceRow.start,
                    EvidenceRow.end,
                    SentenceRow.text,
                    SourceRow.published_on,
                )
                .join(
                    SentenceRow,
                    (SentenceRow.source_id == EvidenceRow.source_id)
                    & (SentenceRow.n == EvidenceRow.sentence_n),
                )
                .join(SourceRow, SourceRow.id == EvidenceRow.source_id)
                .where(col(owner).in_(owner_ids[first : first + EVIDENCE_SLICE]))
                .order_by(EvidenceRow.position)
            )
            for key, source, n, quote, start, end, sentence_text, published_on in rows:
                found[key].append(
                    Evidence(source, n, quote, start, end, sentence_text, published_on)
                )
        return defaultdict(tuple, {key: tuple(items) for key, items in found.items()})

    def _evidence_of_all(self, as_of: dt.datetime | None) -> dict[object, tuple]:
        """The evidence of every entry revision (recorded by `as_of`), in one streamed query;
        each sentence's text and each source's date read once and shared."""
        connection = self.connection
        sentences = {
            (source, n): text
            for source, n, text in connection.execute(
                select(SentenceRow.source_id, SentenceRow.n, SentenceRow.text).where(
                    select(EvidenceRow.id)
                    .where(
                        EvidenceRow.source_id == SentenceRow.source_id,
                        EvidenceRow.sentence_n == SentenceRow.n,
                        col(EvidenceRow.entry_revision_id).is_not(None),
                    )
                    .exists()
                )
            )
        }
        published = dict(connection.execute(select(SourceRow.id, SourceRow.published_on)).all())
        e, r = EvidenceRow.__table__, EntryRevisionRow.__table__
        query = select(
            e.c.entry_revision_id, e.c.source_id, e.c.sentence_n, e.c.quote, e.c.start, e.c.end
        ).where(e.c.entry_revision_id.is_not(None))
        if as_of is not None:
            query = query.join(r, r.c.id == e.c.entry_revision_id).where(r.c.recorded_at <= as_of)
        found: dict[object, list[Evidence]] = defaultdict(list)
        result = connection.execute(
            query.order_by(e.c.entry_revision_id, e.c.position).execution_options(
                yield_per=EVIDENCE_SLICE
            )
        )
        for owner, source, n, quote, start, end in result:
            found[owner].append(
                Evidence(source, n, quote, start, end, sentences[source, n], published[source])
            )
        return defaultdict(tuple, {key: tuple(items) for key, items in found.items()})

    def all_evidence(self) -> list[tuple[str, Evidence]]:
        """Every piece of evidence, named by what it backs, for `verify`."""
        rows = self.session.exec(
            select(
                EvidenceRow,
                SentenceRow.text,
                EntryRevisionRow.entry_id,
                EntryRevisionRow.revision,
                TermRevisionRow.term_id,
                TermRevisionRow.revision,
                ExchangeRevisionRow.exchange_id,
                ExchangeRevisionRow.revision,
            )
            .outerjoin(
                SentenceRow,
                (SentenceRow.source_id == EvidenceRow.source_id)
                & (SentenceRow.n == EvidenceRow.sentence_n),
            )
            .outerjoin(EntryRevisionRow, EntryRevisionRow.id == EvidenceRow.entry_revision_id)
            .outerjoin(TermRevisionRow, TermRevisionRow.id == EvidenceRow.term_revision_id)
            .outerjoin(
                ExchangeRevisionRow, ExchangeRevisionRow.id == EvidenceRow.exchange_revision_id
            )
            .order_by(EvidenceRow.id)
        )
        found = []
        for row in rows:
            evidence, sentence_text, entry_id, entry_rev, term_id, term_rev, exc_id, exc_rev = row
            if entry_id is not None:
                owner = f"entry {entry_id} revision {entry_rev}"
            elif term_id is not None:
                owner = f"term {term_id} revision {term_rev}"
            elif exc_id is not None:
                owner = f"exchange {exc_id} revision {exc_rev}"
            else:
                owner = f"note {evidence.note_id}"
            found.append(
                (
                    f"{owner} evidence[{evidence.position}]",
                    Evidence(
                        source=evidence.source_id,
                        sentence=evidence.sentence_n,
                        quote=evidence.quote,
                        start=evidence.start,
                        end=evidence.end,
                        sentence_text=sentence_text or "",
                    ),
                )
            )
        return found
