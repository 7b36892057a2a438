"""The read model's rows (`day_total`, each component's part of a day; `day_sum`, those parts
added up per population, kind and day) and where it stands (`read_model`): written in the
transaction of the write that changed them, read by one GROUP BY day with a running sum over
the day sums, so a question reads days, not components.

Derived data, never evidence: `exchange-ledger verify` computes the rows in force again and
names any that differ. Rows are never updated but to close them: a row closed at a revision
stays, so the totals as of any revision since the read model was built are a query too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlmodel import Session

from ledger.storage.tables import DaySumRow, DayTotalRow, ReadModelRow

DAY_TOTAL = DayTotalRow.__table__
DAY_SUM = DaySumRow.__table__
READ_MODEL = ReadModelRow.__table__
NAME = "totals"
BATCH = 5_000
CLOSE_SLICE = 500  # components in one IN (...), well under every engine's limit

# A question's days, added up over the day sums in force (at the head, or at a revision; of
# every population when it names none): each day's movement, and the running total by its
# end. A null high is no upper bound: the running total has none once any part's has none.
SUMS = """
WITH days AS (
  SELECT day,
         sum(daily_low) AS daily_low,
         CASE WHEN count(daily_high) = count(*) THEN sum(daily_high) END AS daily_high,
         sum(moved_low) AS moved_low,
         sum(moved_high) AS moved_high,
         sum(unbounded) AS unbounded,
         min(approx_from) AS approx_from
  FROM day_sum
  WHERE kind = :kind{of_population} AND {in_force}
  GROUP BY day
)
SELECT day, daily_low, daily_high,
       sum(moved_low) OVER running AS total_low,
       CASE WHEN sum(unbounded) OVER running = 0
            THEN coalesce(sum(moved_high) OVER running, 0) END AS total_high,
       approx_from
FROM days
WINDOW running AS (ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY day
"""
# The day sums of one population and kind on some days, from the parts in force.
ADDED_UP = """
SELECT population, kind, day, sum(daily_low),
       CASE WHEN count(daily_high) = count(*) THEN sum(daily_high) END,
       sum(moved_low), sum(moved_high), count(*) - count(moved_high), min(approx_from){revision}
FROM day_total
WHERE last_seq IS NULL{of_days}
GROUP BY population, kind, day
"""
SUM_COLUMNS = (
    "population", "kind", "day", "daily_low", "daily_high", "moved_low", "moved_high",
    "unbounded", "approx_from",
)  # fmt: skip
AT_HEAD = "last_seq IS NULL"
AT_REVISION = "first_seq <= :revision AND (last_seq IS NULL OR last_seq > :revision)"


class Standing(NamedTuple):
    """The revision the rows are current at, and the first they answer for."""

    revision: int
    since: int


class DayTotals:
    """Reads and keeps the read model's rows within one session."""

    def __init__(self, session: Session) -> None:
        self.session, self.connection = session, session.connection()

    def standing(self) -> Standing | None:
        """Where the read model stands; None when it was never built."""
        row = self.connection.execute(
            select(READ_MODEL.c.revision, READ_MODEL.c.since).where(READ_MODEL.c.name == NAME)
        ).first()
        return None if row is None else Standing(row[0], row[1])

    def stand(self, standing: Standing) -> None:
        """Record that the rows are current at `standing.revision`."""
        done = self.connection.execute(
            update(READ_MODEL)
            .where(READ_MODEL.c.name == NAME)
            .values(revision=standing.revision, since=standing.since)
        )
        if done.rowcount == 0:
            self.connection.execute(insert(READ_MODEL).values(name=NAME, **standing._asdict()))

    def replace(
        self, left: Iterable[str], came: Iterable[Mapping[str, Any]], revision: int
    ) -> None:
        """Close the rows of the components `left` at `revision`, and add the rows of those
        that `came` (a component may leave and come back with its parts changed); then add
        up again the days they cover."""
        names = sorted(set(left))
        days: set[tuple[str, str, dt.date]] = set()
        for i in range(0, len(names), CLOSE_SLICE):
            closed = self.connection.execute(
                update(DAY_TOTAL)
                .where(DAY_TOTAL.c.component.in_(names[i : i + CLOSE_SLICE]))
                .where(DAY_TOTAL.c.last_seq.is_(None))
                .values(last_seq=revision)
                .returning(DAY_TOTAL.c.population, DAY_TOTAL.c.kind, DAY_TOTAL.c.day)
            )
            days.update((p, k, _date(d)) for p, k, d in closed)
        for batch in _batches((dict(row, first_seq=revision) for row in came), BATCH):
            self.connection.execute(insert(DAY_TOTAL), batch)
            days.update((row["population"], row["kind"], row["day"]) for row in batch)
        self._add_up(days, revision)

    def _add_up(self, days: set[tuple[str, str, dt.date]], revision: int) -> None:
        """The day sums of these days (population, kind, day) again from the parts in force:
        those in force close at `revision`, the new ones come in at it."""
        by_question: dict[tuple[str, str], list[dt.date]] = {}
        for population, kind, day in days:
            by_question.setdefault((population, kind), []).append(day)
        for (population, kind), dates in sorted(by_question.items()):
            dates.sort()
            for i in range(0, len(dates), CLOSE_SLICE):
                some = dates[i : i + CLOSE_SLICE]
                of = (
                    (DAY_SUM.c.population == population)
                    & (DAY_SUM.c.kind == kind)
                    & DAY_SUM.c.day.in_(some)
                    & DAY_SUM.c.last_seq.is_(None)
                )
                self.connection.execute(update(DAY_SUM).where(of).values(last_seq=revision))
                self._insert_sums(
                    " AND population = :population AND kind = :kind AND day IN :days",
                    {"population": population, "kind": kind, "days": some},
                    revision,
                )

    def _insert_sums(self, of_days: str, given: dict[str, Any], revision: int) -> None:
        # In the database: the parts are added up where they are, nothing read back.
        query = text(
            f"INSERT INTO day_sum ({', '.join(SUM_COLUMNS)}, first_seq) "
            + ADDED_UP.format(of_days=of_days, revision=", :revision")
        )
        if "days" in given:
            query = query.bindparams(bindparam("days", expanding=True))
        self.connection.execute(query, {**given, "revision": revision})

    def clear(self) -> None:
        """Drop every row, to build the read model again from the ledger as it stands."""
        self.connection.execute(delete(DAY_TOTAL))
        self.connection.execute(delete(DAY_SUM))
        self.connection.execute(delete(READ_MODEL))

    def sums(
        self, kind: str, population: str | None, revision: int | None = None
    ) -> list[tuple[dt.date, float, float | None, float, float | None, dt.date | None]]:
        """A question's days added up over the components in force at `revision` (at the
        head, without one), in the order of the days."""
        given: dict[str, Any] = {"kind": kind}
        if population is not None:
            given["population"] = population
        if revision is not None:
            given["revision"] = revision
        query = SUMS.format(
            of_population="" if population is None else " AND population = :population",
            in_force=AT_HEAD if revision is None else AT_REVISION,
        )
        rows = self.connection.execute(text(query), given)
        return [(_date(r[0]), r[1], r[2], r[3], r[4], _date_or_none(r[5])) for r in rows]

    def sums_differing(self) -> list[tuple[str, str, dt.date, str]]:
        """The day sums in force that are not the parts in force added up (for verify):
        each (population, kind, day) with what is wrong."""
        stored = {
            (row[0], row[1], _date(row[2])): _plain(row[3:])
            for row in self.connection.execute(
                select(*(DAY_SUM.c[name] for name in SUM_COLUMNS)).where(
                    DAY_SUM.c.last_seq.is_(None)
                )
            )
        }
        added = {
            (row[0], row[1], _date(row[2])): _plain(row[3:])
            for row in self.connection.execute(text(ADDED_UP.format(of_days="", revision="")))
        }
        found = []
        for key in sorted(set(stored) | set(added), key=repr):
            population, kind, day = key
            if key not in added:
                found.append((population, kind, day, "is stored but no part is in force"))
            elif key not in stored:
                found.append((population, kind, day, "is missing"))
            elif stored[key] != added[key]:
                found.append((population, kind, day, "differs from its parts added up"))
        return found

    def in_force(self) -> Iterator[dict[str, Any]]:
        """Every row in force at the head (for verify, which computes them again)."""
        columns = [c for c in DAY_TOTAL.c if c.name not in ("id", "first_seq", "last_seq")]
        query = select(*columns).where(DAY_TOTAL.c.last_seq.is_(None))
        for row in self.connection.execute(query):
            found = dict(row._mapping)
            found["day"] = _date(found["day"])
            found["approx_from"] = _date_or_none(found["approx_from"])
            yield found


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _plain(values: Sequence[Any]) -> tuple[Any, ...]:
    """Sums as numbers and dates as dates, whatever the driver gives back."""
    found: list[Any] = []
    for value in values:
        if isinstance(value, str):
            value = _date(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            value = round(float(value), 9)
        found.append(value)
    return tuple(found)


def _date(value: dt.date | str) -> dt.date:
    # A text query reads SQLite's dates back as the text they are stored as.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _date_or_none(value: dt.date | str | None) -> dt.date | None:
    return None if value is None else _date(value)
