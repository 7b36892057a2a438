"""Turning submitted data (JSON, YAML, CLI) into checked drafts of entries, terms and notes.

Every check runs, and all problems are raised together, each under the name of its field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from ledger.errors import InvalidInput, Problems
from ledger.evidence import resolve_all
from ledger.records import (
    FIRST_DAY,
    FRAMEWORKS,
    KINDS,
    LAST_DAY,
    MAX_COUNT,
    POPULATIONS,
    QUALIFIERS,
    TERM_PER,
    Entry,
    Evidence,
    Note,
    Period,
    Source,
    Term,
)
from ledger.sources import NOT_UNICODE, encodable

MAX_NAME = 100
MAX_TEXT = 2_000
NOTE_QUALIFIERS = (*QUALIFIERS, "more_than")
NOTE_UNITS = ("people", "percent")

FindSource = Callable[[str], Source | None]

ENTRY_FIELDS = {
    "kind", "population", "count", "qualifier", "period", "party", "nationality", "framework",
    "description", "period_phrase", "period_note", "evidence",
}  # fmt: skip
TERM_FIELDS = {
    "population", "kind", "party", "count", "per", "qualifier", "period", "framework",
    "description", "period_phrase", "period_note", "evidence",
}  # fmt: skip
NOTE_FIELDS = {"topic", "count", "unit", "qualifier", "description", "period", "evidence"}


def parse_entry(data: object, find_source: FindSource) -> Entry:
    """Check an entry as submitted; the draft has no id or revision yet."""
    form = _Form(data, ENTRY_FIELDS, "entry")
    period = form.period("period")
    entry = Entry(
        id="",
        kind=form.choice("kind", KINDS),
        population=form.choice("population", POPULATIONS),
        count=form.count("count"),
        qualifier=form.choice("qualifier", QUALIFIERS, default="exact"),
        period=period,
        party=form.name("party"),
        nationality=form.name("nationality", required=False),
        framework=form.choice("framework", FRAMEWORKS, default="other"),
        description=form.text("description"),
        period_phrase=form.text("period_phrase") or None,
        period_note=form.text("period_note") or None,
        evidence=resolve_all(form.get("evidence"), find_source, form.problems),
    )
    for i, evidence in enumerate(entry.evidence):
        published = evidence.published_on
        if period is not None and published is not None and period.start > published:
            form.problems.add(
                "period.start",
                f"is after {published.isoformat()}, when the source of evidence[{i}] was "
                "published; a report cannot tell of releases that had not begun.",
            )
    _check_end_reported(period, entry.evidence, form.problems)
    form.problems.raise_if_any()
    return entry


def _check_end_reported(
    period: Period | None, evidence: tuple[Evidence, ...], problems: Problems
) -> None:
    # An entry records what had happened by the time a report was published (a term, what
    # an agreement says will happen, may look ahead): at least one cited report must be
    # published on or after the period's last day.
    published = [e.published_on for e in evidence if e.published_on is not None]
    if period is None or not published or period.end <= max(published):
        return
    latest = max(published)
    problems.add(
        "period.end",
        f"is after {latest.isoformat()}, when the latest of the cited sources was published; "
        "an entry records what a report says had happened, so its period must end by then "
        "(what an agreement says will happen later is a term).",
    )


def parse_term(data: object, find_source: FindSource) -> Term:
    """Check a term of an agreement as submitted."""
    form = _Form(data, TERM_FIELDS, "term")
    term = Term(
        id="",
        population=form.choice("population", POPULATIONS),
        kind=form.choice("kind", KINDS, default="released"),
        party=form.name("party"),
        count=form.count("count"),
        per=form.choice("per", TERM_PER, default="period"),
        qualifier=form.choice("qualifier", QUALIFIERS, default="exact"),
        period=form.period("period"),
        framework=form.choice("framework", FRAMEWORKS, default="truce_deal"),
        description=form.text("description"),
        period_phrase=form.text("period_phrase") or None,
        period_note=form.text("period_note") or None,
        evidence=resolve_all(form.get("evidence"), find_source, form.problems),
    )
    form.problems.raise_if_any()
    return term


def parse_note(data: object, find_source: FindSource) -> Note:
    """Check a context note (a sourced figure kept out of every total)."""
    form = _Form(data, NOTE_FIELDS, "note")
    note = Note(
        id="",
        topic=form.name("topic"),
        count=form.number("count"),
        unit=form.choice("unit", NOTE_UNITS, default="people"),
        qualifier=form.choice("qualifier", NOTE_QUALIFIERS, default="exact"),
        description=form.text("description"),
        period=form.period("period", required=False),
        evidence=resolve_all(form.get("evidence"), find_source, form.problems),
    )
    form.problems.raise_if_any()
    return note


class _Form:
    """One submitted mapping being read field by field, collecting problems."""

    def __init__(self, data: object, fields: set[str], what: str) -> None:
        if not isinstance(data, Mapping):
            raise InvalidInput.one("body", f"must be an object holding the {what}'s fields.")
        self.data: Mapping[str, Any] = data
        self.problems = Problems()
        for name in sorted(set(data) - fields, key=str):
            self.problems.add(str(name), f"is not a field of a {what}.")

    def get(self, name: str) -> Any:
        return self.data.get(name)

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.data.get(name, default)
        if value is None:
            self.problems.add(name, f"is required: one of {', '.join(allowed)}.")
        elif value not in allowed:
            self.problems.add(name, f"must be one of {', '.join(allowed)}, not {value!r}.")
        return value if isinstance(value, str) else ""

    def count(self, name: str) -> int:
        value = self.data.get(name)
        if value is None:
            self.problems.add(name, "is required: a whole number of people, 0 or more.")
        elif isinstance(value, bool) or not isinstance(value, int):
            self.problems.add(name, f"must be a whole number, not {value!r}.")
        elif not 0 <= value <= MAX_COUNT:
            self.problems.add(name, f"must be between 0 and {MAX_COUNT:,}.")
        else:
            return value
        return 0

    def number(self, name: str) -> float:
        value = self.data.get(name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.problems.add(name, "is required: a finite number.")
            return 0
        if value < 0:
            self.problems.add(name, "must not be negative.")
        return value

    def name(self, name: str, required: bool = True) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.problems.add(name, "is required.")
            return None if not required else ""
        if not isinstance(value, str) or not value.strip():
            self.problems.add(
                name, "must be a non-empty string" + ("." if required else " or null.")
            )
            return ""
        folded = " ".join(value.split())
        if len(folded) > MAX_NAME:
            self.problems.add(name, f"is longer than {MAX_NAME} characters.")
        if "\x00" in folded:
            self.problems.add(name, "contains a NUL character.")
        if not encodable(folded):
            self.problems.add(name, NOT_UNICODE)
        return folded

    def text(self, name: str) -> str:
        value = self.data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.problems.add(name, "must be a string.")
            return ""
        if len(value) > MAX_TEXT:
            self.problems.add(name, f"is longer than {MAX_TEXT} characters.")
        if "\x00" in value:
            self.problems.add(name, "contains a NUL character.")
        if not encodable(value):
            self.problems.add(name, NOT_UNICODE)
        return value.strip()

    def period(self, name: str, required: bool = True) -> Period | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.problems.add(
                    name, 'is required: {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}.'
                )
            return None
        if not isinstance(value, Mapping):
            self.problems.add(
                name, 'must be an object {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}.'
            )
            return None
        for extra in sorted(set(value) - {"start", "end"}, key=str):
            self.problems.add(f"{name}.{extra}", "is not a field of a period (start, end).")
        start = self.day(f"{name}.start", value.get("start"))
        end = self.day(f"{name}.end", value.get("end", value.get("start")))
        if start is None or end is None:
            return None
        if end < start:
            self.problems.add(f"{name}.end", f"is before the start ({start.isoformat()}).")
            return None
        return Period(start, end)

    def day(self, name: str, value: object) -> dt.date | None:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            day = value
        elif isinstance(value, str) and len(value) == 10:
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                day = None
        else:
            day = None
        if day is None:
            self.problems.add(name, f"must be a date written YYYY-MM-DD, not {value!r}.")
        elif not FIRST_DAY <= day <= LAST_DAY:
            self.problems.add(name, f"must lie between {FIRST_DAY} and {LAST_DAY}.")
            day = None
        return day
