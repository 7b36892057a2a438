"""Turning submitted data (JSON, YAML, CLI) into checked drafts of entries, terms and notes.

Every check runs, and all problems are raised together, each under the name of its field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from ledger import names
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
    Exchange,
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
FindExchange = Callable[[str], Exchange | None]
# Lists of names are stored joined by it, so a name may not hold it.
SEPARATOR = ";"

ENTRY_FIELDS = {
    "kind",
    "population",
    "count",
    "qualifier",
    "count_high",
    "period",
    "party",
    "nationality",
    "framework",
    "exchange",
    "batch",
    "description",
    "period_phrase",
    "period_note",
    "evidence",
}
TERM_FIELDS = {
    "exchange",
    "population",
    "kind",
    "party",
    "count",
    "per",
    "qualifier",
    "period",
    "framework",
    "description",
    "period_phrase",
    "period_note",
    "evidence",
}
EXCHANGE_FIELDS = {"name", "parties", "first_day", "last_day", "description", "evidence"}
NOTE_FIELDS = {"topic", "count", "unit", "qualifier", "description", "period", "evidence"}


def parse_entry(
    data: object, find_source: FindSource, find_exchange: FindExchange | None = None
) -> Entry:
    """Check an entry as submitted; the draft has no id or revision yet."""
    form = _Form(data, ENTRY_FIELDS, "entry")
    exchange = form.exchange("exchange", find_exchange)
    period = form.period("period", start_from=exchange.first_day if exchange else None)
    qualifier = form.choice("qualifier", QUALIFIERS, default="exact")
    count = form.count("count")
    batch = form.names("batch")
    entry = Entry(
        id="",
        kind=form.kinds("kind"),
        population=form.choice("population", POPULATIONS),
        count=count,
        qualifier=qualifier,
        count_high=form.count_high(qualifier, count),
        period=period,  # type: ignore[arg-type]
        party=form.name("party", required=False),
        nationality=form.names("nationality"),
        framework=form.choice("framework", FRAMEWORKS, required=False),
        exchange=exchange.id if exchange else form.text("exchange") or None,
        batch=batch,
        description=form.text("description"),
        period_phrase=form.text("period_phrase") or None,
        period_note=form.text("period_note") or None,
        evidence=resolve_all(form.get("evidence"), find_source, form.problems),
    )
    if batch is not None and form.get("exchange") is None:
        form.problems.add(
            "batch",
            "names a batch of an exchange: give the exchange too (a label is unique "
            "only within its exchange).",
        )
    if exchange is not None and period is not None:
        _check_within(period, exchange, form.problems)
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


def _check_within(period: Period, exchange: Exchange, problems: Problems) -> None:
    # An exchange's people moved on its days: an entry naming it lies within them.
    if period.start < exchange.first_day:
        problems.add(
            "period.start",
            f"is before {exchange.first_day.isoformat()}, the first day of the exchange "
            f"{exchange.id} ({exchange.name}).",
        )
    if exchange.last_day is not None and period.end > exchange.last_day:
        problems.add(
            "period.end",
            f"is after {exchange.last_day.isoformat()}, the last day of the exchange "
            f"{exchange.id} ({exchange.name}).",
        )


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


def parse_term(
    data: object, find_source: FindSource, find_exchange: FindExchange | None = None
) -> Term:
    """Check a term of an agreement as submitted: it belongs to an exchange."""
    form = _Form(data, TERM_FIELDS, "term")
    exchange = form.exchange("exchange", find_exchange, required=True)
    term = Term(
        id="",
        population=form.choice("population", POPULATIONS),
        kind=form.choice("kind", KINDS, default="released"),  # type: ignore[arg-type]
        party=form.name("party"),  # type: ignore[arg-type]
        count=form.count("count"),
        per=form.choice("per", TERM_PER, default="period"),  # type: ignore[arg-type]
        qualifier=form.choice("qualifier", QUALIFIERS, default="exact"),  # type: ignore[arg-type]
        period=form.period("period"),  # type: ignore[arg-type]
        framework=form.choice("framework", FRAMEWORKS, required=False),
        exchange=exchange.id if exchange else None,
        description=form.text("description"),
        period_phrase=form.text("period_phrase") or None,
        period_note=form.text("period_note") or None,
        evidence=resolve_all(form.get("evidence"), find_source, form.problems),
    )
    if term.qualifier == "between":
        form.problems.add("qualifier", "between is for reported ranges; a term states one count.")
    form.problems.raise_if_any()
    return term


def parse_exchange(data: object, find_source: FindSource) -> Exchange:
    """Check an exchange as submitted: its name, parties, days and evidence."""
    form = _Form(data, EXCHANGE_FIELDS, "exchange")
    first = form.day("first_day", form.get("first_day"))
    last = None if form.get("last_day") is None else form.day("last_day", form.get("last_day"))
    if first is not None and last is not None and last < first:
        form.problems.add("last_day", f"is before the first day ({first.isoformat()}).")
    parties = form.names("parties", ordered=True)
    if not parties:
        form.problems.add("parties", "is required: the parties to the exchange, one or more.")
    exchange = Exchange(
        id="",
        name=form.name("name") or "",
        parties=parties or (),
        first_day=first or FIRST_DAY,
        last_day=last,
        description=form.text("description"),
        evidence=resolve_all(form.get("evidence"), find_source, form.problems),
    )
    form.problems.raise_if_any()
    return exchange


def parse_note(data: object, find_source: FindSource) -> Note:
    """Check a context note (a sourced figure kept out of every total)."""
    form = _Form(data, NOTE_FIELDS, "note")
    unit = form.choice("unit", NOTE_UNITS, default="people")
    note = Note(
        id="",
        topic=form.name("topic"),
        count=form.number("count", most=100 if unit == "percent" else MAX_COUNT),
        unit=unit,
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

    def choice(
        self,
        name: str,
        allowed: tuple[str, ...],
        default: str | None = None,
        required: bool = True,
    ) -> str | None:
        value = self.data.get(name, default)
        if value is None:
            if required:
                self.problems.add(name, f"is required: one of {', '.join(allowed)}.")
                return ""
            return None
        if value not in allowed:
            self.problems.add(
                name,
                f"must be one of {', '.join(allowed)}"
                + ("" if required else " or null (not stated)")
                + f", not {value!r}.",
            )
        return value if isinstance(value, str) else ""

    def kinds(self, name: str) -> tuple[str, ...]:
        """One kind, or a list of kinds for a figure that mixes them ("including bodies")."""
        value = self.data.get(name)
        listed = value if isinstance(value, list) else [value]
        if value is None or not listed:
            self.problems.add(name, f"is required: one of {', '.join(KINDS)}, or a list of them.")
            return ()
        wrong = [v for v in listed if v not in KINDS]
        if wrong:
            self.problems.add(
                name, f"must be one of {', '.join(KINDS)} (or a list of them), not {wrong[0]!r}."
            )
            return ()
        found = tuple(k for k in KINDS if k in listed)
        if len(found) != len(listed):
            self.problems.add(name, "names a kind twice.")
        if "captured" in found and len(found) > 1:
            self.problems.add(
                name, "cannot mix captured with ways out of captivity: record them apart."
            )
        return found

    def names(self, name: str, ordered: bool = False) -> tuple[str, ...] | None:
        """A name, or a list of names (dual nationals, merged rounds), or null: not stated.
        Sorted, unless their order is theirs (`ordered`: an exchange's parties)."""
        value = self.data.get(name)
        if value is None:
            return None
        listed = value if isinstance(value, list) else [value]
        if not listed:
            self.problems.add(name, "must name one or more, or be null (not stated).")
            return None
        found = []
        for item in listed:
            folded = self._name(name, item, required=True)
            if folded and SEPARATOR in folded:
                self.problems.add(name, f"must not contain {SEPARATOR!r}: give a list instead.")
            if folded:
                found.append(folded)
        if len(set(found)) != len(found):
            self.problems.add(name, "names the same value twice.")
        if ordered:
            return tuple(dict.fromkeys(found)) or None
        return tuple(sorted(set(found))) or None

    def count_high(self, qualifier: str | None, count: int) -> int | None:
        """The top of a reported range: given with "between" and only with it."""
        if qualifier != "between":
            if self.data.get("count_high") is not None:
                self.problems.add(
                    "count_high", "is only for qualifier between (a range, as in 30 to 40)."
                )
            return None
        value = self.data.get("count_high")
        if value is None:
            self.problems.add("count_high", "is required with between: the top of the range.")
            return None
        high = self.count("count_high")
        if high < count:
            self.problems.add("count_high", f"must not be below count ({count}).")
        return high

    def exchange(
        self, name: str, find: FindExchange | None, required: bool = False
    ) -> Exchange | None:
        """The exchange an id names, as it stands; a problem if it is unknown."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.problems.add(name, "is required: the id of the exchange (exc_...).")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problems.add(name, "must be the id of an exchange (exc_...), or null.")
            return None
        found = find(value) if find is not None else None
        if found is None:
            self.problems.add(name, f"names no exchange: {value!r}. GET /v1/exchanges lists them.")
        return found

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

    def number(self, name: str, most: float) -> float:
        """A JSON number (not text, however numeric it reads) from 0 to `most`."""
        value = self.data.get(name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.problems.add(name, "is required: a finite number, written as a JSON number.")
            return 0
        if not 0 <= value <= most:
            self.problems.add(name, f"must be between 0 and {most:,g}.")
        return value

    def name(self, name: str, required: bool = True) -> str | None:
        return self._name(name, self.data.get(name), required)

    def _name(self, name: str, value: object, required: bool) -> str | None:
        if value is None:
            if required:
                self.problems.add(name, "is required.")
            return None if not required else ""
        if not isinstance(value, str) or not value.strip():
            self.problems.add(
                name, "must be a non-empty string" + ("." if required else " or null.")
            )
            return ""
        if not encodable(value):
            self.problems.add(name, NOT_UNICODE)
            return ""
        folded = names.normal(value)
        if len(folded) > MAX_NAME:
            self.problems.add(name, f"is longer than {MAX_NAME} characters.")
        if "\x00" in folded:
            self.problems.add(name, "contains a NUL character.")
        elif hidden := names.invisible(folded):
            self.problems.add(
                name,
                f"contains {names.described(hidden)}, which does not show or turns the text "
                "around: a name must read as it is stored, so that one name is one key.",
            )
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

    def period(
        self, name: str, required: bool = True, start_from: dt.date | None = None
    ) -> Period | None:
        """A period; with `start_from` (a running total of an exchange) its start may be left
        out and is then that day."""
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
        if value.get("start") is None and start_from is not None and value.get("end"):
            value = {**value, "start": start_from.isoformat()}
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
