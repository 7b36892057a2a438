"""Publishing: the ledger's CSV tables, streamed from one snapshot, and their data package."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ledger import publication
from ledger.cases.figures import Figures
from ledger.errors import NotFound
from ledger.selection import Selection


class Publishing(Figures):
    """The published tables: entries and evidence as stored, the rest from the figures."""

    def published_rows(
        self, table: str, as_of: dt.datetime | None = None, selection: Selection | None = None
    ) -> Iterator[Sequence[Any]]:
        """The rows of one published table, streamed from one snapshot of the database."""
        selection = selection or Selection()
        with self.reading() as unit:
            exports = unit.exports
            if table == "entries":
                yield from publication.entry_rows(exports.entry_batches(as_of, selection))
            elif table == "evidence":
                yield from exports.evidence_rows(as_of, selection)
            elif table == "totals":
                yield from publication.totals_rows(self.analysis(as_of), selection)
            elif table == "findings":
                yield from publication.finding_rows(self.analysis(as_of), selection)
            elif table == "exchanges":
                found = list(self.state(as_of).exchanges)
                if selection.source is not None:
                    found = [e for e in found if selection.source in e.sources]
                yield from publication.exchange_rows(found)
            elif table == "sources":
                yield from exports.source_rows(as_of, selection.source)
            elif table == "sentences":
                yield from exports.sentence_rows(as_of, selection.source)
            else:
                raise NotFound(
                    f"No table is called {table!r}; there are {', '.join(publication.TABLES)}."
                )

    def published_csv(
        self, table: str, as_of: dt.datetime | None = None, selection: Selection | None = None
    ) -> Iterator[str]:
        """One published table as CSV text, header first, streamed from one snapshot.

        entries.csv is read as stored rows (see `ledger.storage.exports`); the other tables
        are written from their rows here.
        """
        if table != "entries":
            rows = self.published_rows(table, as_of, selection)
            yield from publication.csv_lines(publication.TABLES[table], rows)
            return
        yield from publication.csv_text(publication.ENTRIES, self._entry_lines(as_of, selection))

    def _entry_lines(
        self, as_of: dt.datetime | None, selection: Selection | None = None
    ) -> Iterator[str]:
        """entries.csv's rows as stored (without line ends), read a batch at a time from one
        snapshot."""
        with self.reading() as unit:
            selected = selection or Selection()
            for lines in unit.exports.entry_lines(as_of, selected, publication.entry_line):
                yield from lines

    def count_published(
        self, table: str, as_of: dt.datetime | None = None, selection: Selection | None = None
    ) -> int | None:
        """How many rows a published table will have; None where only writing it tells."""
        selection = selection or Selection()
        if table in ("totals", "findings", "exchanges"):
            return sum(1 for _ in self.published_rows(table, as_of, selection))
        with self.reading() as unit:
            return unit.exports.count(table, as_of, selection)

    def export_package(
        self,
        folder: Path,
        as_of: dt.datetime | None = None,
        watch: Callable[[str, Iterator[Any]], Iterator[Any]] | None = None,
    ) -> dict[str, int]:
        """Write datapackage.json and the five CSV files to a folder; rows per table.

        `watch(name, rows)` may wrap each table's rows, e.g. in a progress bar.
        """
        folder.mkdir(parents=True, exist_ok=True)
        written: dict[str, int] = {}
        for name, table in publication.TABLES.items():
            # entries.csv from its stored rows, as published_csv serves it; the others written.
            rows: Iterator[Any]
            if name == "entries":
                rows, render = self._entry_lines(as_of), publication.csv_text
            else:
                rows, render = self.published_rows(name, as_of), publication.csv_lines
            if watch is not None:
                rows = watch(name, rows)
            counted = _Counted(rows)
            with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as out:
                out.writelines(render(table, counted))
            written[name] = counted.count
        reports = [
            publication.cited_source(row[0], row[2], row[3], row[5])
            for row in self.published_rows("sources", as_of)
        ]
        package = publication.datapackage(
            lambda name: f"{name}.csv", reports, as_of.isoformat() if as_of else None
        )
        (folder / "datapackage.json").write_text(
            json.dumps(package, indent=2) + "\n", encoding="utf-8"
        )
        return written


class _Counted:
    """An iterator that counts what passes through it."""

    def __init__(self, items: Iterator[Any]) -> None:
        self.items, self.count = items, 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.count += 1
            yield item
