"""Charts of the ledger as Vega-Lite specs: pure functions of plain data (the JSON forms of
totals and schedule), shared by the dashboard, the PNG and SVG routes and their data tables.

Every chart draws an interval as a band from low to high with the certain count (low) as a line
on top. A high that is open-ended (None) is drawn at the chart's ceiling and marked with a ▲.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ledger.counting import Analysis
from ledger.scope import NOT_NAMED, Question
from ledger.totals import answer

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
WIDTH, HEIGHT = 640, 260
COLORS = {"hostages": "#1d5a8c", "detainees": "#9a4a12"}
EXPECTED_COLOR = "#4d4d4d"
NOT_STATED = "no nationality reported"
DUAL_NOTE = (
    "A dual national counts under each of their nationalities, so the bars may add up to "
    "more than the total."
)
OPEN_NOTE = "▲ no upper bound reported"

Row = dict[str, Any]


def interval_text(low: int, high: int | None) -> str:
    """An interval as a reader says it: 73, 54\N{EN DASH}73, or 73 or more."""
    if high is None:
        return f"{low} or more"
    return str(low) if low == high else f"{low}\N{EN DASH}{high}"


def _ceiling(rows: Iterable[Row]) -> int:
    """Where an open-ended high is drawn: a quarter above every finite figure of the chart."""
    finite = [v for r in rows for v in (r["low"], r["high"]) if v is not None]
    return max(1, round(max(finite, default=0) * 1.25))


def _shown(rows: list[Row]) -> list[Row]:
    top = _ceiling(rows)
    # `day` is `date` as text for tooltips and labels: a field the x axis reads as temporal is
    # parsed into a timestamp, which a tooltip would show as milliseconds.
    return [
        {
            **r,
            "high_shown": top if r["high"] is None else r["high"],
            "open": r["high"] is None,
            "day": r["date"],
        }
        for r in rows
    ]


# --- rows: what each chart draws, also shown as its data table --------------------------------


def cumulative_rows(
    days: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]] = (),
    labels: Mapping[str, str] | None = None,
) -> list[Row]:
    """One row per day of a totals answer: cumulative low and high; how many entries the
    running total is built from (every entry whose period starts by the end of the day, from
    the answer's events) and how many cover that day. Counts, not ids: a day of a large ledger
    stands on hundreds of thousands of entries, and its drill-down pages through them. With
    `labels` (a finding's id: what it is), the conflicts and implied counts behind each day."""
    labels = labels or {}
    starts = sorted((str(e["period"]["start"]), len(e["entries"])) for e in events)
    rows, built, n = [], 0, 0
    for d in days:
        date = str(d["date"])
        while n < len(starts) and starts[n][0] <= date:
            built += starts[n][1]
            n += 1
        rows.append(
            {
                "date": date,
                "low": d["cumulative"]["low"],
                "high": d["cumulative"]["high"],
                "daily": interval_text(d["daily"]["low"], d["daily"]["high"]),
                "label": interval_text(d["cumulative"]["low"], d["cumulative"]["high"]),
                "built_from": built,
                "covering": len(d["entries"]),
                "approx": bool(d["approx"]),
                "finding_ids": [i for i in d.get("findings", ()) if i in labels],
                "findings": "; ".join(labels[i] for i in d.get("findings", ()) if i in labels),
            }
        )
    return rows


def schedule_rows(days: Sequence[Mapping[str, Any]]) -> list[Row]:
    """Two rows per schedule day that has them: what the terms expect and what is reported,
    on the days the terms cover (every day when they cover none)."""
    rows = []
    termed = [d for d in days if d["expected"] is not None]
    for d in termed or days:
        first = True  # the day's verdict is drawn once, from its first row
        for series, name in (("expected", "expected by the terms"), ("reported", "reported")):
            value = d[series]
            if value is not None:
                rows.append(
                    {
                        "date": str(d["date"]),
                        "series": name,
                        "low": value["low"],
                        "high": value["high"],
                        "label": interval_text(value["low"], value["high"]),
                        "status": d["status"],
                        "verdict": first,
                    }
                )
                first = False
    return rows


def nationality_rows(
    analysis: Analysis,
    *,
    population: str | None = None,
    kind: str = "released",
    party: str | None = None,
    nationality: str | None = None,
    framework: str | None = None,
    exchange: str | None = None,
    end: dt.date | None = None,
) -> list[Row]:
    """Per population and nationality named in the entries, the exact total by the last day
    (or `end`) for the people of that nationality, and a row for the people no report gives
    a nationality for: from the totals engine, so an aggregate and its breakdown count once
    and an unnamed remainder shows as such. A dual national counts under each nationality."""
    named: dict[str, set[str]] = {}
    for component in analysis.components:
        for row in component.rows:
            scope = row.scope
            if kind in scope.kind and population in (None, scope.population):
                found = named.setdefault(scope.population, set())
                found.update(scope.nationality or ())
    rows = []
    for group_population in sorted(named):
        groups = [nationality] if nationality else [*sorted(named[group_population]), NOT_NAMED]
        for group in groups:
            result = answer(
                analysis,
                Question(group_population, (kind,), party, group, framework, exchange),
                None,
                end,
            )
            if not result.days or result.total.high == 0:
                continue  # no one of this group had moved by `end`
            date = result.days[-1].date
            behind = [e for e in result.events if e.period.start <= date]
            rows.append(
                {
                    "population": group_population,
                    "nationality": NOT_STATED if group == NOT_NAMED else group,
                    "stated": group != NOT_NAMED,
                    "low": result.total.low,
                    "high": result.total.high,
                    "label": interval_text(result.total.low, result.total.high),
                    "date": date.isoformat(),
                    "entries": sum(len(e.entries) for e in behind),
                    "sources": len({s for e in behind for s in e.sources}),
                }
            )
    rows.sort(key=lambda r: (r["population"], r["nationality"] == NOT_STATED, -r["low"]))
    return [{**r, "rank": n} for n, r in enumerate(rows)]


# --- specs --------------------------------------------------------------------------------------


def _day_axis() -> dict[str, Any]:
    return {
        "field": "date",
        "type": "temporal",
        "timeUnit": "utcyearmonthdate",
        "title": "by the end of the day",
        "axis": {"format": "%b %d", "labelAngle": 0, "labelOverlap": True},
    }


def _tooltip(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """What a tooltip and a mark's aria-label say: the day and the interval, then `extra`."""
    return [
        {"field": "day", "type": "nominal", "title": "day"},
        {"field": "label", "type": "nominal", "title": "count"},
        *extra,
    ]


def _frame(
    title: str, subtitle: str, rows: list[Row], layers: list[dict[str, Any]], *notes: str | None
) -> Row:
    """A chart; the subtitle says how to read it, one line per note that applies."""
    lines = [subtitle, *(n for n in notes if n)]
    return {
        "$schema": SCHEMA,
        "title": {
            "text": title,
            "subtitle": lines if len(lines) > 1 else subtitle,
            "anchor": "start",
        },
        "width": WIDTH,
        "height": HEIGHT,
        "background": "white",
        "config": {
            "font": "DejaVu Sans, Verdana, sans-serif",
            "view": {"stroke": None},
            "legend": {
                "orient": "top",
                "labelFontSize": 12,
                "symbolType": "stroke",
                "symbolOpacity": 1,
                "symbolStrokeWidth": 3,
                "symbolSize": 300,
            },
            "axisX": {"grid": False},
        },
        "data": {"values": rows},
        "layer": layers,
    }


def _open_note(rows: list[Row]) -> str | None:
    """The key to the triangles, where there are any."""
    return OPEN_NOTE if any(r["open"] for r in rows) else None


def _open_marks(rows: list[Row], y: str, color: str) -> list[dict[str, Any]]:
    """Triangles at the ceiling on the days whose high is open-ended (none when none is)."""
    if not any(r["open"] for r in rows):
        return []
    return [
        {
            "transform": [{"filter": "datum.open"}],
            "mark": {"type": "point", "shape": "triangle-up", "filled": True, "size": 70},
            "encoding": {
                "x": _day_axis(),
                "y": {"field": y, "type": "quantitative"},
                "color": {"value": color},
                "tooltip": _tooltip({"field": "open", "type": "nominal", "title": "open-ended"}),
            },
        }
    ]


def cumulative_spec(rows: Sequence[Row], *, population: str) -> Row:
    """Cumulative releases per day of one population (`cumulative_rows`): a band from low to
    high, low on top."""
    rows = _shown(rows)
    color = COLORS.get(population, "#333333")
    y = {"field": "low", "type": "quantitative", "title": f"{population} released"}
    tooltip = _tooltip(
        {"field": "daily", "type": "nominal", "title": "that day"},
        {"field": "findings", "type": "nominal", "title": "behind it"},
    )
    return _frame(
        f"{population.capitalize()} released, cumulative",
        "line: certainly released by then · band: may have been released by then",
        rows,
        [
            {
                "mark": {"type": "area", "opacity": 0.25, "color": color},
                "encoding": {
                    "x": _day_axis(),
                    "y": y,
                    "y2": {"field": "high_shown"},
                },
            },
            {
                "mark": {"type": "line", "color": color, "strokeWidth": 2.5},
                "encoding": {"x": _day_axis(), "y": y},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 40},
                "encoding": {
                    "x": _day_axis(),
                    "y": y,
                    "color": {"value": color},
                    "tooltip": tooltip,
                },
            },
            {
                # Each day's whole column, unseen, is what a pointer hovers or clicks: the day's
                # tooltip anywhere above it, and no nearest-point Voronoi cells (whose tooltips
                # read the cell instead of the day: "undefined"). Screen readers have the
                # points' labels, so the columns are left out of the accessibility tree.
                "params": [{"name": "day", "select": {"type": "point", "on": "click"}}],
                "mark": {
                    "type": "rule",
                    "strokeWidth": 14,
                    "opacity": 0,
                    "cursor": "pointer",
                    "aria": False,
                },
                "encoding": {"x": _day_axis(), "tooltip": tooltip},
            },
            *_open_marks(rows, "high_shown", color),
        ],
        _open_note(rows),
    )


VERDICT_COLORS = {"met": "#2f6b2f", "behind": "#a12020", "ahead": "#1d5a8c", "unknown": "#595959"}


def _verdicts(rows: list[Row]) -> list[dict[str, Any]]:
    """Each day's verdict (met, behind, ahead, unknown) written above the curves."""
    if not rows:
        return []
    return [
        {
            "transform": [{"filter": "datum.verdict"}],
            "mark": {
                "type": "text",
                "baseline": "top",
                "dy": 2,
                "fontSize": 11,
                "fontWeight": "bold",
            },
            "encoding": {
                "x": _day_axis(),
                "y": {"value": 0},
                "text": {"field": "status"},
                "color": {
                    "condition": [
                        {"test": f"datum.status === '{name}'", "value": color}
                        for name, color in VERDICT_COLORS.items()
                    ],
                    "value": VERDICT_COLORS["unknown"],
                },
                "tooltip": _tooltip({"field": "status", "type": "nominal", "title": "verdict"}),
            },
        }
    ]


def schedule_spec(rows: Sequence[Row], *, population: str, note: str | None = None) -> Row:
    """The terms' expected cumulative beside the reported one (`schedule_rows`), each a band
    with low on top, and each day's verdict above them."""
    rows = _shown(rows)
    scale = {
        "domain": ["expected by the terms", "reported"],
        "range": [EXPECTED_COLOR, COLORS.get(population, "#333333")],
    }
    color = {"field": "series", "type": "nominal", "scale": scale, "title": None}
    dash = {
        "field": "series",
        "type": "nominal",
        "scale": {"domain": scale["domain"], "range": [[6, 4], [1, 0]]},
        "title": None,
    }
    # Headroom above the highest figure, where the verdicts are written.
    top = max((r["high_shown"] for r in rows), default=0)
    y = {
        "field": "low",
        "type": "quantitative",
        "title": f"{population} released",
        "scale": {"domainMax": max(1, round(top * 1.2))},
    }
    # Room left and right of the first and last day, so their verdicts clear the y axis.
    x = {**_day_axis(), "scale": {"padding": 28}}
    return _frame(
        f"Schedule: {population} released, expected and reported",
        "lines: certain counts · bands: the range each side allows",
        rows,
        [
            {
                "mark": {"type": "area", "opacity": 0.18},
                "encoding": {
                    "x": x,
                    "y": y,
                    "y2": {"field": "high_shown"},
                    "color": color,
                },
            },
            {
                "mark": {"type": "line", "strokeWidth": 2.5, "point": True},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": color,
                    "strokeDash": dash,
                    "tooltip": _tooltip(
                        {"field": "series", "type": "nominal"},
                        {"field": "status", "type": "nominal"},
                    ),
                },
            },
            *_open_marks(rows, "high_shown", EXPECTED_COLOR),
            *_verdicts(rows),
        ],
        "above each day: the reported curve has met, is behind or ahead of the terms, or unknown",
        _open_note(rows),
        note,
    )


def nationality_spec(rows: Sequence[Row]) -> Row:
    """Releases by nationality as reported: a bar to the certain count, a whisker to the high."""
    shown = [{**r, "group": f"{r['nationality']}, {r['population']}"} for r in _shown(list(rows))]
    y = {"field": "group", "type": "nominal", "sort": {"field": "rank", "op": "min"}, "title": None}
    color = {
        "field": "population",
        "type": "nominal",
        "scale": {"domain": list(COLORS), "range": list(COLORS.values())},
        "legend": None,  # each bar's label names its population
    }
    x = {"field": "low", "type": "quantitative", "title": "released", "axis": {"tickCount": 8}}
    tooltip = [
        {"field": "population", "type": "nominal"},
        {"field": "nationality", "type": "nominal"},
        {"field": "label", "type": "nominal", "title": "count"},
        {"field": "date", "type": "nominal", "title": "by the end of"},
    ]
    spec = _frame(
        "Released, by nationality as reported",
        "bar: certain count · whisker: up to the highest count reports allow",
        shown,
        [
            {
                "mark": {"type": "bar", "cursor": "pointer"},
                "encoding": {"y": y, "x": x, "color": color, "tooltip": tooltip},
            },
            {
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {"y": y, "x": x, "x2": {"field": "high_shown"}},
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 6},
                "encoding": {
                    "y": y,
                    "x": {"field": "high_shown", "type": "quantitative"},
                    "text": {"field": "label"},
                },
            },
        ],
        DUAL_NOTE,
        f"{NOT_STATED}: the people counted only by reports that give no nationality.",
    )
    return {**spec, "width": WIDTH - 160, "height": {"step": 26}}
