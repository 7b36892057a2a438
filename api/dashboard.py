"""The dashboard at `/`: headline numbers and chart tables rendered here (readable without
JavaScript); static/dashboard.js adds the charts, the drill-down and the checks, reading the same
public JSON routes as any other dashboard. The URL's query is the whole state of a view."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import vl_convert
from flask import Blueprint, Response, current_app, redirect, render_template, request
from marshmallow import ValidationError

from api.resources.charts import chart, ignored
from api.schemas.common import KeyArgs
from ledger.charts import OPEN_NOTE, interval_text
from ledger.records import FRAMEWORKS, POPULATIONS
from ledger.service import Ledger
from ledger.totals import Conflict, Event, Implied

blp = Blueprint("dashboard", __name__)

FILTERS = ("population", "exchange", "party", "nationality", "framework", "from", "to", "as_of")
SCOPE = ("party", "nationality", "framework", "exchange")
PAGE_SIZE = 100  # entries per page of a drill-down; the panel offers the next page
# What a datetime-local input sends: a moment without a zone, which the form labels UTC.
NAIVE_MOMENT = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?\Z")
BUNDLE_MAX_AGE = 86400


class DashboardArgs(KeyArgs):
    """The dashboard's filters: those of /v1/totals, always for releases."""

    class Meta:
        exclude = ("kind", "batch")


@dataclass(frozen=True)
class Figure:
    """One chart of the page: its rows (the data table) and what a reader must be told."""

    name: str
    rows: list[dict[str, Any]]
    note: str | None  # a filter the chart cannot apply
    open: bool  # some high is open-ended: the ▲ needs its key


@dataclass(frozen=True)
class Headline:
    """One headline number: an interval, the day it holds for, and what it stands on."""

    id: str
    label: str
    low: int
    high: int | None
    date: dt.date | None
    sources: int
    entries: int
    approx: bool
    href: str
    note: str | None = None
    findings: tuple[Found, ...] = ()

    @property
    def text(self) -> str:
        return interval_text(self.low, self.high)


@dataclass(frozen=True)
class Found:
    """A conflict or an implied count, as the page shows it beside the figures it explains."""

    id: str
    check: str  # conflict or implied
    label: str
    text: str
    entries: tuple[str, ...]
    period: str

    @classmethod
    def of(cls, finding: Conflict | Implied) -> Found:
        days = _period_text(finding.period)
        if isinstance(finding, Conflict):
            said = "; ".join(
                f"{r.entry} says {_stated(r.qualifier, r.stated)}"
                + (
                    f" (the others imply {interval_text(r.implied.low, r.implied.high)})"
                    if r.implied
                    else ""
                )
                for r in finding.reports
            )
            text = (
                f"Reports that cannot all be true: {said}. The figures span every reading "
                f"that sets aside {finding.set_aside} of them."
            )
            return cls(finding.id, "conflict", "Conflict", text, finding.entries, days)
        label = IMPLIED_LABELS[finding.reason]
        return cls(
            finding.id,
            "implied",
            label,
            finding.description,
            (*finding.entries, *finding.less),
            days,
        )


IMPLIED_LABELS = {
    "rest": "Implied: the rest of a count",
    "placed": "Implied: placed by other reports",
    "undated": "Implied: a count whose day no report gives",
}


def _stated(qualifier: str, stated: Any) -> str:
    if qualifier == "between":
        return interval_text(stated.low, stated.high)
    if qualifier == "at_most":
        return f"at most {stated.high}"
    return {"at_least": "at least ", "approx": "about "}.get(qualifier, "") + str(stated.low)


def _period_text(period: Any) -> str:
    if period.start == period.end:
        return period.start.isoformat()
    return f"{period.start.isoformat()} to {period.end.isoformat()}"


@blp.get("/")
def index() -> Any:
    """The dashboard, for the filters and as-of moment in the query."""
    given = list(request.args.items(multi=True))
    canonical = _canonical(given)
    if canonical != given:
        return redirect(f"/?{urlencode(canonical)}" if canonical else "/", code=302)
    args, errors = _parsed(dict(canonical))
    query = [(k, v) for k, v in canonical if k not in errors]
    ledger: Ledger = current_app.extensions["ledger"]
    as_of = args.get("as_of")
    populations = [args["population"]] if args.get("population") else list(POPULATIONS)
    names = [f"{s}-{p}" for p in populations for s in ("released", "schedule")]
    state = ledger.state(as_of)
    headlines = _headlines(ledger, args, populations)
    page = render_template(
        "dashboard.html",
        filters=dict(query),
        query=urlencode(query),
        errors=errors,
        as_of=as_of,
        as_of_input=as_of.strftime("%Y-%m-%dT%H:%M:%S") if as_of else "",
        revision=state.revision,
        headlines=headlines,
        findings=list({f.id: f for h in headlines for f in h.findings}.values()),
        charts=[_figure(name, args) for name in [*names, "nationality"]],
        open_note=OPEN_NOTE,
        day_link=functools.partial(_day_link, args),
        nationality_link=functools.partial(_nationality_link, args),
        options={
            "population": POPULATIONS,
            "exchange": sorted({e.id for e in state.exchanges} | _chosen(args, "exchange")),
            "party": _choices(state.entries, "party", args.get("party")),
            "nationality": _choices(state.entries, "nationality", args.get("nationality")),
            "framework": FRAMEWORKS,
        },
    )
    return page, 400 if errors else 200


@blp.get("/dashboard/assets/vega.js")
def vega_bundle() -> Response:
    """Vega, Vega-Lite and Vega-Embed as shipped by vl-convert: the page needs no CDN."""
    response = Response(_bundle(), mimetype="text/javascript")
    response.set_etag(f"vl-convert-{vl_convert.__version__}")
    response.cache_control.public = True
    response.cache_control.max_age = BUNDLE_MAX_AGE
    return response.make_conditional(request)


@functools.cache
def _bundle() -> str:
    # Built once per process; it takes vl-convert a few seconds.
    return vl_convert.javascript_bundle()


def _canonical(given: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The query as a shared URL should read: known filters, in order, none empty, and an
    as-of moment with its zone."""
    found = {}
    for name, value in given:
        if name in FILTERS and value.strip() and name not in found:
            found[name] = value.strip()
    if NAIVE_MOMENT.match(found.get("as_of", "")):
        # The input leaves out seconds that are zero: a shared URL always names them.
        found["as_of"] += ":00Z" if len(found["as_of"]) == len("2023-11-28T12:00") else "Z"
    return [(name, found[name]) for name in FILTERS if name in found]


def _parsed(query: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The filters that are valid, and a message for each that is not (it is then ignored)."""
    try:
        return DashboardArgs().load(query), {}
    except ValidationError as error:
        errors = {name: list(messages) for name, messages in error.normalized_messages().items()}
        valid = {k: v for k, v in query.items() if k not in errors}
        return DashboardArgs().load(valid), errors


def _headlines(ledger: Ledger, args: dict[str, Any], populations: list[str]) -> list[Headline]:
    found = [_released(ledger, args, p) for p in populations]
    if "hostages" in populations:
        found.append(_still_held(ledger, args))
    return found


def _released(ledger: Ledger, args: dict[str, Any], population: str) -> Headline:
    key = {n: args.get(n) for n in SCOPE}
    start, end = args.get("from_"), args.get("to")
    result = ledger.totals(
        args.get("as_of"), population=population, kind="released", start=start, end=end, **key
    )
    date = _holds_for(result.events, end)
    events = _by(result.events, date)
    query = {"population": population, "kind": "released", **key}
    note = None
    if start is not None and date is not None:
        # A running total: the from day narrows the days the charts show, not what it counts.
        note = f"A running total: it counts releases before {start} too."
        if date < start:
            note = f"Nothing is reported from {start} on: this is the total by the end of {date}."
    return Headline(
        id=f"released-{population}",
        label=f"{population.capitalize()} released",
        low=result.total.low,
        high=result.total.high,
        date=date,
        sources=len({s for e in events for s in e.sources}),
        entries=len({i for e in events for i in e.entries}),
        approx=result.approx,
        href=_entries_link(query, {**args, "to": date}),
        note=note,
        findings=tuple(
            Found.of(f)
            for f in (*result.conflicts, *result.implied)
            if date is not None and f.period.start <= date
        ),
    )


def _holds_for(events: Sequence[Event], end: dt.date | None) -> dt.date | None:
    """The day a total holds for: the last day any of its events covers, or `end` if that
    is earlier; None when nothing had begun by then (the total is 0)."""
    if not events:
        return None
    first = min(e.period.start for e in events)
    last = max(e.period.end for e in events)
    date = last if end is None else min(last, end)
    return date if date >= first else None


def _still_held(ledger: Ledger, args: dict[str, Any]) -> Headline:
    low, high, date, approx = 0, 0, None, False
    sources: set[str] = set()
    entries: set[str] = set()
    end = args.get("to")
    parties = ledger.still_held(args.get("as_of"), party=args.get("party"))
    # Every party together where there is such a row: the parties' own rows overlap it.
    for party in [p for p in parties if p.party is None] or parties:
        days = [d for d in party.days if end is None or d.date <= end]
        if not days:
            continue
        day = days[-1]
        low += day.still_held.low
        high = None if high is None or day.still_held.high is None else high + day.still_held.high
        date = max(date or day.date, day.date)
        approx = approx or day.approx
        for event in _by((*party.captured.events, *party.out.events), day.date):
            sources |= event.sources
            entries |= set(event.entries)
    ignored = [n for n in ("nationality", "framework", "from_") if args.get(n)]
    return Headline(
        id="still-held-hostages",
        label="Hostages still held",
        low=low,
        high=high,
        date=date,
        sources=len(sources),
        entries=len(entries),
        approx=approx,
        href=_entries_link({"population": "hostages", "party": args.get("party")}, args),
        note="Captured minus released, rescued, found dead and remains returned"
        + ("; the nationality, framework and from filters do not apply." if ignored else "."),
    )


def _by(events: Iterable[Event], date: dt.date | None) -> list[Event]:
    """The events that may count by the end of a day."""
    return [e for e in events if date is not None and e.period.start <= date]


def _entries_link(key: dict[str, Any], args: dict[str, Any]) -> str:
    # A total by a day counts every entry up to it, so the list runs to `to` but not from `from`.
    query = {**key, "to": args.get("to"), "as_of": _moment(args.get("as_of"))}
    return "/v1/entries?" + urlencode(
        [*((k, str(v)) for k, v in query.items() if v), ("page_size", str(PAGE_SIZE))]
    )


def _day_link(args: dict[str, Any], population: str, date: str, covering: bool = False) -> str:
    """The entries a day's running total is built from (every period starting by then), or
    with `covering` only those whose period covers the day, for the page's filters."""
    key = {n: args.get(n) for n in SCOPE}
    query = {"population": population, "kind": "released", **key}
    if covering:
        query["from"] = date
    return _entries_link(query, {**args, "to": date})


def _nationality_link(args: dict[str, Any], row: dict[str, Any]) -> str:
    """The entries behind a row of the nationality chart. /v1/entries has no filter for "no
    nationality stated", so that row's link lists every nationality and the page keeps the
    unstated ones (data-stated="false")."""
    key = {n: args.get(n) for n in ("party", "framework", "exchange")}
    nationality = row["nationality"] if row["stated"] else None
    query = {"population": row["population"], "kind": "released", **key, "nationality": nationality}
    return _entries_link(query, {**args, "to": row["date"]})


def _figure(name: str, args: dict[str, Any]) -> Figure:
    _, rows = chart(name, args)
    opened = any(r.get("high") is None for r in rows) and not name.startswith("nationality")
    return Figure(name, rows, ignored(name, args), opened)


def _moment(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _choices(entries: Iterable[Any], name: str, chosen: str | None) -> list[str]:
    values: set[str] = set()
    for entry in entries:
        value = getattr(entry, name)
        values.update(value if isinstance(value, tuple) else [value] if value else [])
    return sorted(values | ({chosen} if chosen else set()))


def _chosen(args: dict[str, Any], name: str) -> set[str]:
    return {args[name]} if args.get(name) else set()
