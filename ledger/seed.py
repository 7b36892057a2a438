"""The seed ledger: the two seed reports and the curated exchange, entries, terms and notes
built on them.

Loading is idempotent: sources are named by their SHA-256 and every curated record has a
fixed id, so a second load adds nothing. Where the curated ledger was revised since a store
was seeded (an entry now names its exchange), a load appends the new version as a revision by
`seed`, unless someone else has revised the record since: a person's revision is never
overridden. It is one transaction under the writer lock, so two loads at once store one copy.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ledger import sources as texts
from ledger.drafts import parse_entry, parse_exchange, parse_note, parse_term
from ledger.errors import InvalidInput, LedgerError
from ledger.records import Exchange, Source, check_record_id
from ledger.service import ENTRIES, EXCHANGES, NOTE_PREFIX, TERMS, Ledger

AUTHOR = "seed"
REVISED = "The seed ledger was revised: this record now reads as seed/ledger.yaml has it."
# Exchanges first: entries and terms name them.
SECTIONS: dict[str, tuple[str, Callable[..., Any]]] = {
    "exchanges": ("exchange", lambda data, find_source, _: parse_exchange(data, find_source)),
    "entries": ("entry", parse_entry),
    "terms": ("term", parse_term),
    "notes": ("note", lambda data, find_source, _: parse_note(data, find_source)),
}
PREFIXES = {
    "exchanges": EXCHANGES.prefix,
    "entries": ENTRIES.prefix,
    "terms": TERMS.prefix,
    "notes": NOTE_PREFIX,
}
REVISABLE = ("exchanges", "entries", "terms")


@dataclass
class SeedReport:
    """What one load did: how many records it added and how many were there already."""

    added: dict[str, int] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)
    revised: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [
            f"{name}: {self.added.get(name, 0)} added, {self.present.get(name, 0)} present"
            + (f", {self.revised[name]} revised" if self.revised.get(name) else "")
            for name in ("sources", *SECTIONS)
        ]
        return "; ".join(parts)


def seed_folder() -> Path:
    """LEDGER_SEED_DIR, else the checkout's seed/, else the copy inside the installed package."""
    configured = os.environ.get("LEDGER_SEED_DIR")
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parent.parent / "seed"
    if checkout.is_dir():
        return checkout
    return Path(__file__).resolve().parent / "seed_data"


def load_seed(ledger: Ledger, folder: Path | None = None) -> SeedReport:
    """Check the whole seed ledger first, then store what is not stored yet."""
    folder = folder or seed_folder()
    reports = _read_reports(folder)
    curated = _read_yaml(folder / "ledger.yaml")
    by_file = {name: source for name, (source, _meta) in reports.items()}
    _check_curated(curated, by_file)

    report = SeedReport()
    # One unit of work under the writer lock: a load stores all of the seed or none of it, and
    # a load that waited for another finds everything present (the writes below join it).
    with ledger.one_unit():
        for source, meta in reports.values():
            _stored, created = ledger.add_source(source.text, author=AUTHOR, **meta)
            _tally(report, "sources", created)
        for section, (kind, parse) in SECTIONS.items():
            add = getattr(ledger, f"add_{kind}")
            for item in curated.get(section) or []:
                record_id, data = _data(item, by_file)
                if not ledger.exists(kind, record_id):
                    add(data, AUTHOR, record_id)
                    _tally(report, section, True)
                elif section in REVISABLE and _revise(ledger, kind, parse, record_id, data):
                    report.revised[section] = report.revised.get(section, 0) + 1
                else:
                    _tally(report, section, False)
    return report


def _revise(
    ledger: Ledger, kind: str, parse: Callable[..., Any], record_id: str, data: dict[str, Any]
) -> bool:
    """Append the curated version of a seed record that differs from the stored one, if seed
    wrote the stored one; whether it did."""
    stored = getattr(ledger, kind)(record_id)
    if stored.author != AUTHOR or stored.retracted:
        return False
    finder = ledger.exchange_finder()
    curated = parse(data, ledger.source_finder(), finder)
    if _content(curated) == _content(stored):
        return False
    getattr(ledger, f"revise_{kind}")(record_id, data, AUTHOR, REVISED, stored.revision)
    return True


def _content(record: Any) -> Any:
    """What a record says, without who recorded it when."""
    return dataclasses.replace(
        record, id="", revision=1, recorded_at=None, author=None, reason=None
    )


def _read_reports(folder: Path) -> dict[str, tuple[Source, dict[str, object]]]:
    listed = _read_yaml(folder / "sources.yaml")
    if not isinstance(listed, list):
        raise LedgerError(f"{folder / 'sources.yaml'}: expected a list of reports.")
    reports = {}
    for i, item in enumerate(listed):
        where = f"{folder / 'sources.yaml'}: item {i}"
        path = folder / str(item.get("file", ""))
        if not path.is_file():
            raise LedgerError(f"{where}: the file {path.name!r} is not in {folder}.")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise LedgerError(f"{path}: not UTF-8 ({error}).") from None
        sha256 = texts.sha256_of(text)
        if sha256 != item.get("sha256"):
            raise LedgerError(
                f"{path}: its SHA-256 is {sha256}, but sources.yaml records {item.get('sha256')};"
                " a seed report must stay byte-for-byte as received."
            )
        meta = {name: item.get(name) for name in ("published_on", "title", "publisher", "url")}
        checked = texts.check_metadata(text, **meta)
        source = Source(
            id=texts.source_id(sha256),
            sha256=sha256,
            text=text,
            published_on=checked["published_on"],
            sentences=texts.segment(text),
        )
        reports[path.name] = (source, meta)
    return reports


def _check_curated(curated: Mapping[str, Any], by_file: Mapping[str, Source]) -> None:
    """Validate every curated record before anything is written."""
    by_id = {source.id: source for source in by_file.values()}
    problems: dict[str, list[str]] = {}
    exchanges: dict[str, Exchange] = {}
    for section, (_kind, parse) in SECTIONS.items():
        for i, item in enumerate(curated.get(section) or []):
            try:
                record_id, data = _data(item, by_file)
                check_record_id(record_id, PREFIXES[section])
                parsed = parse(data, by_id.get, exchanges.get)
                if section == "exchanges":
                    exchanges[record_id] = dataclasses.replace(parsed, id=record_id)
            except InvalidInput as error:
                label = item.get("id", i) if isinstance(item, Mapping) else i
                for name, messages in error.errors.items():
                    problems[f"{section}[{label}].{name}"] = messages
    if problems:
        raise InvalidInput(problems)


def _data(item: object, by_file: Mapping[str, Source]) -> tuple[str, dict[str, Any]]:
    if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
        raise InvalidInput.one("id", "every curated record needs a fixed id.")
    data = {name: value for name, value in item.items() if name != "id"}
    evidence = []
    for piece in data.get("evidence") or []:
        piece = dict(piece)
        name = piece.get("source")
        if name in by_file:
            piece["source"] = by_file[name].id
        evidence.append(piece)
    data["evidence"] = evidence
    return item["id"], data


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle) or {}
    except FileNotFoundError:
        raise LedgerError(f"The seed file {path} is missing.") from None
    except yaml.YAMLError as error:
        raise LedgerError(f"{path} is not valid YAML: {error}") from None


def _tally(report: SeedReport, name: str, created: bool) -> None:
    counts = report.added if created else report.present
    counts[name] = counts.get(name, 0) + 1
