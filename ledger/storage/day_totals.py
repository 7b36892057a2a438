"""The read model's rows (`day_total`) and where it stands (`read_model`): written in the
transaction of the write that changed them, read by one GROUP BY day with a running sum.

Derived data, never evidence: `exchange-ledger verify` computes the rows in force again and
names any that differ. Rows are never updated but to close them: a row closed at a revision
stays, so the totals as of any revision since the read model was built are a query too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, text, update
from sqlmodel import Session

from ledger.storage.tables import DayTotalRow, ReadModelRow

DAY_TOTAL = DayTotalRow.__table__
READ_MODEL = ReadModelRow.__table__
NAME = "totals"
BATCH = 5_000
CLOSE_SLICE = 500  # components in one IN (...), well under every engine's limit

# A question's days, added up over the components in force (at the head, or at a revision):
# each day's movement, and the running total by its end. A null high is no upper bound: the
# running total has none once any component's has none.
SUMS = """
WITH days AS (
  SELECT day,
         sum(daily_low) AS daily_low,
         CASE WHEN count(daily_high) = count(*) THEN sum(daily_high) END AS daily_high,
         sum(moved_low) AS moved_low,
         sum(moved_high) AS moved_high,
         count(*) - count(moved_high) AS unbounded,
         min(approx_from) AS approx_from
  FROM day_total
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
        that `came` (a component may leave and come back with its parts changed)."""
        names = sorted(set(left))
        for i in range(0, len(names), CLOSE_SLICE):
            self.connection.execute(
                update(DAY_TOTAL)
                .where(DAY_TOTAL.c.component.in_(names[i : i + CLOSE_SLICE]))
                .where(DAY_TOTAL.c.last_seq.is_(None))
                .values(last_seq=revision)
            )
        for batch in _batches((dict(row, first_seq=revision) for row in came), BATCH):
            self.connection.execute(insert(DAY_TOTAL), batch)

    def clear(self) -> None:
        """Drop every row, to build the read model again from the ledger as it stands."""
        self.connection.execute(delete(DAY_TOTAL))
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


def _date(value: dt.date | str) -> dt.date:
    # A text query reads SQLite's dates back as the text they are stored as.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _date_or_none(value: dt.date | str | None) -> dt.date | None:
    return None if value is None else _date(value)
