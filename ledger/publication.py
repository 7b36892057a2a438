"""The ledger as published tables: five CSV files and the Frictionless Data Package that
describes them. One definition of each table serves the HTTP export and `exchange-ledger
export`; rows are streamed, so memory stays flat however large the ledger is."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any

from ledger.counting import Analysis
from ledger.records import (
    FRAMEWORKS,
    KINDS,
    POPULATIONS,
    QUALIFIERS,
    SENTENCE_KINDS,
    Entry,
    Exchange,
)
from ledger.selection import SCOPE, Selection
from ledger.totals import Conflict, Implied, answer, findings

# OWASP's CSV injection advice: a text cell that a spreadsheet would read as a formula gets a
# leading apostrophe, which spreadsheets show as text and never evaluate. A value that already
# begins with an apostrophe gets one more, so the rule for getting the exact words back has no
# exception: a cell that begins with an apostrophe loses its first character.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DEFUSED_STARTS = (*FORMULA_STARTS, "'")
FORMULA_CHARACTERS = "".join(DEFUSED_STARTS)  # `value[0] in` it: the cheapest test per cell
DEFUSED_NOTE = (
    " A value that began with =, +, -, @, a tab, a carriage return or an apostrophe is written "
    "with one apostrophe added in front, so that spreadsheets never run it as a formula: where "
    "a cell begins with an apostrophe, remove that first character to get the exact text (the "
    "words at the evidence offsets)."
)
QUALIFIER_NAMES = {q: q for q in QUALIFIERS}  # one string object per qualifier, not per row
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 (the ledger's counts, periods and offsets; "
    "quoted words remain their publishers')",
}


@dataclass(frozen=True)
class Column:
    """One column of a published table, as Table Schema describes it."""

    name: str
    type: str
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    free_text: bool = False  # people's words: a value may begin like a formula

    def field(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description + (DEFUSED_NOTE if self.free_text else ""),
        }
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.type == "integer":
            constraints["minimum"] = 0
        if self.type == "datetime":
            described["format"] = "any"
        if constraints:
            described["constraints"] = constraints
        return described


@dataclass(frozen=True, eq=False)  # one object per table: hashed by identity
class Table:
    """A published table: its columns, keys and what it is."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[dict[str, Any], ...] = ()
    filters: tuple[str, ...] = ()  # the query's filters that select its rows (as_of: all)

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def resource(self, path: str) -> dict[str, Any]:
        """The Data Package resource describing this table at `path`."""
        schema: dict[str, Any] = {"fields": [c.field() for c in self.columns]}
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        if self.foreign_keys:
            schema["foreignKeys"] = list(self.foreign_keys)
        return {
            "name": self.name,
            "path": path,
            "title": self.title,
            "description": self.description,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


def _text(name: str, description: str, **kwargs: Any) -> Column:
    """A column of words as reported or typed: the ones a formula could hide in."""
    return Column(name, "string", description, free_text=not kwargs.get("enum"), **kwargs)


def _id(name: str, description: str, **kwargs: Any) -> Column:
    """A column of ids, lists of them or web addresses: checked on the way in, they never
    begin like a formula."""
    return Column(name, "string", description, **kwargs)


SCOPE_FILTERS = SCOPE
ENTRY_FILTERS = (*SCOPE_FILTERS, "from", "to", "source")
LISTS = "Several values are separated by ';'"
SCOPE_COLUMNS = (
    _text("population", "hostages or detainees.", required=True, enum=POPULATIONS),
    _id(
        "kind",
        f"released, rescued, found_dead, remains_returned or captured. {LISTS} (a figure "
        "that mixes the living and the dead).",
        required=True,
    ),
    _text("party", "The party that released or holds them; empty: not stated (any party)."),
    _text(
        "nationality",
        f"As reported; empty: not stated (any nationality). {LISTS}: the nationalities of "
        "each person counted (dual nationals).",
    ),
    _text(
        "framework",
        "truce_deal, parallel_deal or other; empty: not stated (any).",
        enum=FRAMEWORKS,
    ),
    _id("exchange", "The exchange's id (exchanges.csv); empty: not stated (any)."),
    _text("batch", f"The handover within the exchange; empty: not stated (any). {LISTS}."),
)
ENTRIES = Table(
    "entries",
    "Entries",
    "One row per entry in force: a reported movement of people. A part of its scope left "
    "empty was not stated, and the totals read it as covering every value.",
    (
        _id("entry_id", "The entry's id.", required=True),
        Column("revision", "integer", "The entry's revision in force.", required=True),
        *SCOPE_COLUMNS,
        Column("count", "integer", "The reported count.", required=True),
        _text(
            "qualifier",
            "exact, at_least, at_most, between or approx.",
            required=True,
            enum=QUALIFIERS,
        ),
        Column("count_high", "integer", "The top of a between range (30 to 40: 40)."),
        Column("period_start", "date", "First day of the period.", required=True),
        Column("period_end", "date", "Last day of the period (inclusive).", required=True),
        _text("description", "The group as reported."),
        _text("period_phrase", "The report's words for the period, where it was inferred."),
        _text("period_note", "How the period was resolved from those words."),
        Column(
            "corroboration",
            "integer",
            "How many distinct sources its evidence cites.",
            required=True,
        ),
        _id("sources", "The cited sources' ids, separated by ';'.", required=True),
        _text("quotes", "The quoted words, separated by ' | '.", required=True),
        Column("recorded_at", "datetime", "When this revision was recorded (UTC).", required=True),
        _text("author", "Who recorded it (the token's name).", required=True),
        _text("reason", "Why the revision was made."),
    ),
    primary_key=("entry_id",),
    filters=ENTRY_FILTERS,
)
EVIDENCE = Table(
    "evidence",
    "Evidence",
    "One row per piece of evidence: the quote behind an entry, with "
    "its sentence and its offsets in the source (Unicode code points).",
    (
        _id("entry_id", "The entry it backs.", required=True),
        Column("position", "integer", "Its place among the entry's evidence.", required=True),
        _id("source_id", "The source quoted.", required=True),
        Column("sentence", "integer", "The sentence's number in the source.", required=True),
        _text("quote", "The report's exact words.", required=True),
        Column("start", "integer", "Offset of the quote in the source text.", required=True),
        Column("end", "integer", "End of the quote (exclusive).", required=True),
        _text("sentence_text", "The whole sentence.", required=True),
        Column("published_on", "date", "When the source was published.", required=True),
    ),
    primary_key=("entry_id", "position"),
    filters=ENTRY_FILTERS,
    foreign_keys=(
        {"fields": ["entry_id"], "reference": {"resource": "entries", "fields": ["entry_id"]}},
        {
            "fields": ["source_id", "sentence"],
            "reference": {"resource": "sentences", "fields": ["source_id", "n"]},
        },
    ),
)
TOTALS = Table(
    "totals",
    "Totals",
    "One row per population, kind and day: what had certainly (low) and possibly (high) "
    "happened, daily and by the end of the day, for the filters given (the other scope "
    "columns, empty when not filtered: every value). The figures are those of /v1/totals "
    "for the same filters and that population and kind: exact bounds over every truth the "
    "reports allow. Rows of different kinds or populations count different people; rows "
    "are never to be summed across the scope (an aggregate and its breakdown are one "
    "release).",
    (
        _text("population", "hostages or detainees.", required=True, enum=POPULATIONS),
        _text("kind", "The kind counted.", required=True, enum=KINDS),
        *(
            _text(name, f"The {name} filtered by; empty: every value.")
            for name in ("party", "nationality", "framework", "exchange", "batch")
        ),
        Column("date", "date", "The day.", required=True),
        Column("daily_low", "integer", "Certainly happened that day.", required=True),
        Column("daily_high", "integer", "May have happened that day; empty: open-ended."),
        Column(
            "cumulative_low", "integer", "Certainly happened by the end of the day.", required=True
        ),
        Column("cumulative_high", "integer", "May have happened by then; empty: open-ended."),
        Column("approx", "boolean", "An approximate count contributes.", required=True),
        _id("entries", "The entries whose period covers the day, separated by ';'."),
        _id(
            "findings",
            "The conflicts and implied counts behind the day's figures (findings.csv), "
            "separated by ';'.",
        ),
    ),
    primary_key=("population", "kind", "date"),
    filters=(*SCOPE_FILTERS, "from", "to"),
)
FINDINGS = Table(
    "findings",
    "Findings",
    "One row per conflict (reports that cannot all be true; the totals span every reading "
    "that sets aside as few of them as possible) and per implied count (people the bounds "
    "place where no report states them: the rest of a count, a placement, or a count whose "
    "day no report gives), for the filters given.",
    (
        _id("finding_id", "The finding's id, as /v1/totals and /v1/checks name it.", required=True),
        _text("check", "conflict or implied.", required=True, enum=("conflict", "implied")),
        _text(
            "reason",
            "For implied counts: rest, placed or undated.",
            enum=("rest", "placed", "undated"),
        ),
        Column("period_start", "date", "First day it concerns.", required=True),
        Column("period_end", "date", "Last day it concerns.", required=True),
        Column("low", "integer", "Implied: at least this many."),
        Column("high", "integer", "Implied: at most this many; empty: open-ended."),
        _id("entries", "The entries involved, separated by ';'.", required=True),
        _id("less", "Implied rest: the finer entries it is the rest of, separated by ';'."),
        _id(
            "readings",
            "Conflicts: each reading's entries set aside, separated by ';', readings by ' | '.",
        ),
        _text(
            "stated",
            "Conflicts: each entry with the figure it states and the figure the others of its "
            "conflict imply, separated by ' | '.",
        ),
        _text("description", "What the finding says, in words."),
    ),
    primary_key=("finding_id",),
    filters=(*SCOPE_FILTERS, "from", "to"),
)
EXCHANGES = Table(
    "exchanges",
    "Exchanges",
    "One row per exchange in force: an arrangement under which people are released.",
    (
        _id("exchange_id", "The exchange's id.", required=True),
        Column("revision", "integer", "Its revision in force.", required=True),
        _text("name", "Its name.", required=True),
        _text("parties", "Its parties, separated by ';'.", required=True),
        Column("first_day", "date", "Its first day.", required=True),
        Column("last_day", "date", "Its last day; empty while not known."),
        _text("description", "What it is."),
        _id("sources", "The cited sources' ids, separated by ';'.", required=True),
        _text("quotes", "The quoted words, separated by ' | '.", required=True),
        Column("recorded_at", "datetime", "When this revision was recorded (UTC).", required=True),
        _text("author", "Who recorded it (the token's name).", required=True),
    ),
    primary_key=("exchange_id",),
    filters=("source",),
)
SOURCES = Table(
    "sources",
    "Sources",
    "One row per news report. The text itself is at /v1/sources/{id}/text.",
    (
        _id("id", "The source's id (from its SHA-256).", required=True),
        _id("sha256", "SHA-256 of the text's UTF-8 bytes.", required=True),
        Column("published_on", "date", "Publication date.", required=True),
        _text("title", "Title, where known."),
        _text("publisher", "Publisher, where known."),
        _id("url", "Address, where known (http:// or https://)."),
        Column("recorded_at", "datetime", "When it was stored (UTC).", required=True),
        Column("characters", "integer", "Length of the text in code points.", required=True),
        Column("sentences", "integer", "How many sentences it was split into.", required=True),
    ),
    primary_key=("id",),
    filters=("source",),
)
SENTENCES = Table(
    "sentences",
    "Sentences",
    "One row per sentence of each source, with its offsets.",
    (
        _id("source_id", "The source.", required=True),
        Column("n", "integer", "The sentence's number, from 0.", required=True),
        Column("start", "integer", "Offset in the source text.", required=True),
        Column("end", "integer", "End (exclusive).", required=True),
        _text("kind", "sentence, heading, link or dateline.", required=True, enum=SENTENCE_KINDS),
        _text("text", "The sentence.", required=True),
    ),
    primary_key=("source_id", "n"),
    filters=("source",),
    foreign_keys=(
        {"fields": ["source_id"], "reference": {"resource": "sources", "fields": ["id"]}},
    ),
)
TABLES = {
    table.name: table
    for table in (ENTRIES, EVIDENCE, TOTALS, FINDINGS, EXCHANGES, SOURCES, SENTENCES)
}


def datapackage(
    path_of: Callable[[str], str], sources: Iterable[dict[str, str]], as_of: str | None = None
) -> dict[str, Any]:
    """The Data Package descriptor; `path_of(name)` says where each CSV is."""
    return {
        "profile": "tabular-data-package",
        "name": "exchange-ledger",
        "title": "exchange-ledger: releases in a hostage-for-detainee exchange",
        "description": "Every count with the sentence of the news report that states it. "
        + (f"As the ledger stood at {as_of}." if as_of else "The ledger as it stands.")
        + DEFUSED_NOTE,
        "licenses": [LICENSE],
        "sources": list(sources),
        "resources": [table.resource(path_of(name)) for name, table in TABLES.items()],
    }


def cited_source(
    source_id: str,
    published_on: Any,
    title: str | None,
    url: str | None,
    text_url: str | None = None,
) -> dict[str, str]:
    """A news report as a Data Package `sources` item."""
    cited = {"title": f"{title or 'Untitled report'} ({source_id}, published {published_on})"}
    if url or text_url:
        cited["path"] = url or text_url
    return cited


def csv_lines(table: Table, rows: Iterable[Sequence[Any]], batch: int = 2_000) -> Iterator[str]:
    """RFC 4180 CSV text of a table, header first, `batch` rows per chunk."""
    cell = _cells(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    rows = iter(rows)
    while chunk := list(islice(rows, batch)):
        writer.writerows(map(cell, chunk))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no rows at all: the header alone
        yield buffer.getvalue()


def csv_text(table: Table, lines: Iterable[str], batch: int = 2_000) -> Iterator[str]:
    """The same CSV text from rows already written (by `csv_line`), `batch` rows per chunk."""
    yield ",".join(table.header) + "\r\n"
    lines = iter(lines)
    while chunk := list(islice(lines, batch)):
        yield "\r\n".join(chunk) + "\r\n"


def csv_line(table: Table, row: Sequence[Any]) -> str:
    """One row of a table as CSV, without its line end: what `csv_lines` writes for it."""
    buffer = io.StringIO()
    # The same line end as csv_lines: csv quotes a cell holding any character of it.
    csv.writer(buffer, lineterminator="\r\n").writerow(_cells(table)(row))
    return buffer.getvalue()[:-2]


@cache
def _cells(table: Table) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """The function turning a row's values into its cells: strings defused, moments and
    booleans spelled out. Columns of other types go to csv as they are: it writes None as an
    empty cell, and numbers and dates as their str(), which is what the schema declares."""
    strings = [i for i, c in enumerate(table.columns) if c.type == "string"]
    spelled = [(i, c.type) for i, c in enumerate(table.columns) if c.type in SPELLED]

    def cells(row: Sequence[Any]) -> Sequence[Any]:
        # Most rows need nothing: look at first characters before copying anything.
        defused = [i for i in strings if (v := row[i]) and v[0] in FORMULA_CHARACTERS]
        if not defused and not spelled:
            return row
        row = list(row)
        for i in defused:
            row[i] = "'" + row[i]
        for i, kind in spelled:
            row[i] = SPELLED[kind](row[i])
        return row

    return cells


def _moment(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _boolean(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


SPELLED: dict[str, Callable[[Any], str | None]] = {"datetime": _moment, "boolean": _boolean}


# --- rows of each table -------------------------------------------------------------------------


def entry_row(e: Entry) -> tuple[Any, ...]:
    """An entry revision's row of the entries table."""
    return (
        e.id,
        e.revision,
        e.population,
        _listed(e.kind),
        e.party,
        _listed(e.nationality),
        e.framework,
        e.exchange,
        _listed(e.batch),
        e.count,
        e.qualifier,
        e.count_high,
        e.period.start,
        e.period.end,
        e.description,
        e.period_phrase,
        e.period_note,
        e.corroboration,
        ";".join(sorted(e.sources)),
        " | ".join(ev.quote for ev in e.evidence),
        e.recorded_at,
        e.author,
        e.reason,
    )


def _listed(values: tuple[str, ...] | None) -> str | None:
    return None if values is None else ";".join(values)


def entry_line(e: Entry) -> str:
    """An entry revision's row of entries.csv, as written. It depends on nothing but the
    revision and its evidence, which never change, so it is stored with the revision."""
    return csv_line(ENTRIES, entry_row(e))


def entry_rows(batches: Iterable[list[Entry]]) -> Iterator[tuple[Any, ...]]:
    for batch in batches:
        yield from map(entry_row, batch)


def exchange_rows(exchanges: Iterable[Exchange]) -> Iterator[tuple[Any, ...]]:
    for x in exchanges:
        yield (
            x.id,
            x.revision,
            x.name,
            ";".join(x.parties),
            x.first_day,
            x.last_day,
            x.description,
            ";".join(sorted(x.sources)),
            " | ".join(e.quote for e in x.evidence),
            x.recorded_at,
            x.author,
        )


def series(analysis: Analysis, selection: Selection) -> list[tuple[str, str]]:
    """The (population, kind) pairs totals.csv has rows for: those with entries in force,
    within the selection's population and kind."""
    found = set()
    for component in analysis.components:
        for row in component.rows:
            for kind in row.scope.kind:
                found.add((row.scope.population, kind))
    return sorted(
        (p, k)
        for p, k in found
        if selection.population in (None, p) and selection.kind in (None, k)
    )


def totals_rows(analysis: Analysis, selection: Selection) -> Iterator[tuple[Any, ...]]:
    """Per population and kind, the days of /v1/totals for the selection."""
    question = selection.question()
    for population, kind in series(analysis, selection):
        asked = question._replace(population=population, kind=(kind,))
        result = answer(analysis, asked, selection.start, selection.end)
        scope = (
            population,
            kind,
            selection.party,
            selection.nationality,
            selection.framework,
            selection.exchange,
            selection.batch,
        )
        for day in result.days:
            yield (
                *scope,
                day.date,
                day.daily.low,
                day.daily.high,
                day.cumulative.low,
                day.cumulative.high,
                day.approx,
                ";".join(day.entries),
                ";".join(day.findings),
            )


def finding_rows(analysis: Analysis, selection: Selection) -> Iterator[tuple[Any, ...]]:
    """The conflicts and implied counts behind the selection's totals (all of the ledger's
    when nothing is selected), each once."""
    if not any(getattr(selection, name) for name in SCOPE_FILTERS):
        conflicts, implied = findings(analysis)
    else:
        seen_conflicts: dict[str, Conflict] = {}
        seen_implied: dict[str, Implied] = {}
        question = selection.question()
        for population, kind in series(analysis, selection):
            result = answer(
                analysis, question._replace(population=population, kind=(kind,)), None, None
            )
            seen_conflicts.update((c.id, c) for c in result.conflicts)
            seen_implied.update((f.id, f) for f in result.implied)
        conflicts = tuple(sorted(seen_conflicts.values(), key=lambda c: (c.period, c.id)))
        implied = tuple(sorted(seen_implied.values(), key=lambda f: (f.period, f.id)))
    for c in conflicts:
        if _outside(c.period, selection):
            continue
        yield (
            c.id,
            "conflict",
            None,
            c.period.start,
            c.period.end,
            None,
            None,
            ";".join(c.entries),
            None,
            " | ".join(";".join(r) for r in c.readings),
            " | ".join(_said(r) for r in c.reports),
            f"{len(c.entries)} reports that cannot all be true; each reading sets aside "
            f"{c.set_aside} of them",
        )
    for f in implied:
        if _outside(f.period, selection):
            continue
        yield (
            f.id,
            "implied",
            f.reason,
            f.period.start,
            f.period.end,
            f.interval.low,
            f.interval.high,
            ";".join(f.entries),
            ";".join(f.less) or None,
            None,
            None,
            f.description,
        )


def _outside(period: Any, selection: Selection) -> bool:
    return (selection.start is not None and period.end < selection.start) or (
        selection.end is not None and period.start > selection.end
    )


def _said(report: Any) -> str:
    implied = report.implied
    others = (
        ""
        if implied is None
        else (
            f"; the others imply {implied.low}"
            + (
                ""
                if implied.low == implied.high
                else f" to {implied.high}"
                if implied.high is not None
                else " or more"
            )
        )
    )
    return f"{report.entry} states {report.words}{others}"
