"""Running the ledger: what it holds, whether it is whole (verify), backup and restore, the
journal's head a publication cites."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ledger import publication
from ledger.cases.read_model import ReadModel
from ledger.chain import Link
from ledger.errors import InvalidInput
from ledger.storage import backup as storage_backup
from ledger.verify import (
    Finding,
    verify_journal,
    verify_published_head,
    verify_published_rows,
    verify_store,
)


class Operations(ReadModel):
    """The store as a whole."""

    def migrate(self) -> None:
        """Bring the schema to the newest migration. A migration carries no live code, so
        what it leaves to be derived again (the stored rows of entries.csv) is stored here,
        after it, and again at the next start if a crash cut that short."""
        self.database.migrate()
        with self.reading() as unit:
            missing = unit.exports.published_rows_missing()
        if missing:
            with self.writing() as unit:
                unit.exports.fill_published_rows(publication.entry_line)
        if self.read_model_behind():
            self.build_read_model()

    def counts(self) -> dict[str, int]:
        with self.reading() as unit:
            return unit.records.counts()

    def verify(self, published_head: tuple[int, str] | None = None) -> list[Finding]:
        """Every integrity problem of the store, the first broken link of the journal's hash
        chain included; empty when all is well.

        With a published head (seq, chain hash), also check the chain still holds it, which
        finds a journal cut short or rewritten and resealed since it was published.
        """
        with self.reading() as unit:
            records, journal = unit.records, unit.journal
            links = [(link, journal.content_sha256(link)) for link in journal.links()]
            entries, terms = records.entry_revisions(), records.term_revisions()
            found = [
                *verify_store(
                    records.all_sources_with_sentences(),
                    records.all_evidence(),
                    entries,
                    terms,
                ),
                *verify_journal(links, entries, terms),
                *verify_published_rows(records.published_entry_rows(), entries),
            ]
        found += self.verify_read_model()
        if published_head is not None:
            found += verify_published_head([link for link, _ in links], *published_head)
        return found

    def chain_head(self, as_of: dt.datetime | None = None) -> Link | None:
        """The newest journal row (by `as_of`): a published figure cites its seq and hash."""
        with self.reading() as unit:
            return unit.journal.head(as_of)

    def backup(self, target: Path) -> str:
        """Write a consistent copy of the store (SQLite backup API, or pg_dump)."""
        return storage_backup.backup(self.database, target)

    def restore(self, backup_file: Path) -> str:
        """Fill an empty store from a backup, then check it whole."""
        counts = self.counts()
        if any(counts.values()):
            held = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
            raise InvalidInput.one(
                "database",
                f"restore needs an empty store; this one holds "
                f"{held}. Point LEDGER_DATABASE_URL at a new database.",
            )
        made = storage_backup.restore(self.database, backup_file)
        self.database.dispose()
        # A backup is sealed already; only one from before the chain is sealed, by the
        # migration that adds it.
        self.migrate()
        return made
