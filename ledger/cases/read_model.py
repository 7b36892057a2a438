"""The totals' read model (ledger.day_totals), kept current by every write, built once
where there is none, read by the totals a reader asks most, and checked by verify.

A write keeps it in its own transaction (`Database.writing` calls `KeptByWrites`): under the
writer lock, the analysis of the ledger as the write found it (the worker's newest, moved on
to the head), then the write, then the analysis moved on by what the write changed; the
components that left are closed at the new revision and the parts of those that came are
added. After the commit that analysis is the worker's newest, so the first answer after a
write works out nothing more.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter
from typing import Any

from sqlmodel import Session

from ledger.cases.figures import Figures
from ledger.counting import Analysis
from ledger.day_totals import DaySum, component_key, kept, parts, totals_of
from ledger.state import State, moved_by
from ledger.storage.database import Database
from ledger.storage.day_totals import Standing
from ledger.storage.unit import Unit
from ledger.totals import Totals, ask
from ledger.verify import Finding

log = logging.getLogger(__name__)


class ReadModel(Figures):
    """Keeps, builds, reads and checks the read model of the totals."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.database.kept_beside = KeptByWrites(self)

    # --- kept by every write ------------------------------------------------------------------

    def _unit_opened(self, unit: Unit) -> tuple[tuple[int, dt.datetime] | None, Standing] | None:
        # Only where it stands: the analysis is worked out at the end, and only by a unit
        # that wrote to the ledger (a token or a kept row of entries.csv moves no total).
        standing = unit.day_totals.standing()
        head = unit.records.head()
        revision = head[0] if head else 0
        if standing is None and revision == 0:
            standing = Standing(0, 0)  # an empty ledger: nothing to build
        if standing is None or standing.revision != revision:
            return None  # not built, or left behind by rows loaded around the service
        return head, standing

    def _unit_closing(
        self, unit: Unit, opened: tuple[tuple[int, dt.datetime] | None, Standing]
    ) -> tuple[State, Analysis] | None:
        found, standing = opened
        recorded = unit.journal.recorded()
        head = (recorded[-1][0].seq, recorded[-1][0].recorded_at) if recorded else None
        if recorded is None:  # a write that gave no record: read back what it wrote
            head = unit.records.head()
        if head is None or head[0] == standing.revision:
            return None  # nothing was written to the ledger
        # The ledger as the unit found it (committed: the base every worker may keep), then
        # as the unit leaves it: moved on by the records the unit wrote, or read back.
        before = self._read_state(unit, None, found) if found else State(0, None, (), ())
        analysed = self._newest.analysis(before) if found else before.analysis()
        state = None if recorded is None else moved_by(before, recorded)
        if state is None:
            state = self._read_state(unit, None, head)
        analysis = state.analysis(since=(before, analysed))
        if analysis.change is None:  # moved on by comparing every entry
            was, now = set(analysed.components), set(analysis.components)
            left, came = tuple(was - now), tuple(now - was)
        else:
            left, came = analysis.change
        unit.day_totals.replace(
            (component_key(c) for c in left),
            (dataclasses.asdict(part) for c in came for part in parts(c)),
            head[0],
        )
        unit.day_totals.stand(Standing(head[0], standing.since))
        return state, analysis

    def _unit_committed(self, closed: tuple[State, Analysis]) -> None:
        self._newest.hold(*closed)

    # --- built where there is none ------------------------------------------------------------

    def build_read_model(self) -> int:
        """Build the read model again from the ledger as it stands (under the writer lock);
        the totals of earlier moments are then worked out from the entries. Gives the number
        of rows written."""
        with self.database.writing() as session:
            unit = Unit(session)
            head = unit.records.head()
            revision = head[0] if head else 0
            state = self._read_state(unit, None, head)
            analysis = self._newest.analysis(state)
            found = [dataclasses.asdict(part) for c in analysis.components for part in parts(c)]
            unit.day_totals.clear()
            unit.day_totals.replace((), found, revision)
            unit.day_totals.stand(Standing(revision, revision))
        log.info("read model built at revision %d: %d rows", revision, len(found))
        return len(found)

    def read_model_behind(self) -> bool:
        """Whether the read model does not stand at the ledger's head (rows were loaded
        around the service, or it was never built)."""
        with self.reading() as unit:
            standing = unit.day_totals.standing()
            head = unit.records.head()
        revision = head[0] if head else 0
        return (standing is None and revision > 0) or (
            standing is not None and standing.revision != revision
        )

    # --- read ---------------------------------------------------------------------------------

    def day_totals(
        self,
        as_of: dt.datetime | None = None,
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
        **question: Any,
    ) -> tuple[int, Totals] | None:
        """The figures of a question the read model keeps (`ledger.day_totals.kept`), with
        the revision they are at: each day's movement and running total, without the entries
        and findings behind them. None when it keeps no answer (another question, a moment
        before it was built, or a read model left behind): ask `totals`."""
        asked = ask(**{k: tuple(v) if isinstance(v, list) else v for k, v in question.items()})
        if not kept(asked):
            return None
        with self.reading() as unit:
            standing = unit.day_totals.standing()
            revision = unit.revision_at(as_of)
            if standing is None and revision == 0:
                standing = Standing(0, 0)
            if standing is None or not standing.since <= revision <= standing.revision:
                return None
            if as_of is None and revision != standing.revision:
                return None
            assert asked.kind is not None  # kept() says so
            sums = unit.day_totals.sums(
                asked.kind[0], asked.population, None if as_of is None else revision
            )
        return revision, totals_of([DaySum(*row) for row in sums], start, end)

    # --- checked ------------------------------------------------------------------------------

    def verify_read_model(self) -> list[Finding]:
        """The read model against the ledger it stands for: each row in force that differs
        from the one computed again from the entries, named, and a read model behind."""
        with self.reading() as unit:
            standing = unit.day_totals.standing()
            head = unit.records.head()
            stored = list(unit.day_totals.in_force())
        revision = head[0] if head else 0
        where = "read model (day_total)"
        if standing is None:
            if revision == 0:
                return []
            return [Finding(where, "it was never built: `exchange-ledger migrate` builds it")]
        if standing.revision != revision:
            return [
                Finding(
                    where,
                    f"it stands at revision {standing.revision}, the ledger at {revision}: "
                    "`exchange-ledger migrate` builds it again",
                )
            ]
        computed = [
            dataclasses.asdict(part) for c in self.analysis().components for part in parts(c)
        ]
        return _differences(stored, computed, where)


class KeptByWrites:
    """The read model as `Database.writing` keeps it beside every write of the ledger."""

    def __init__(self, ledger: ReadModel) -> None:
        self.ledger = ledger

    def preparing(self) -> None:
        # The worker's analysis is moved on to what is committed (the writes of other
        # workers and servers since its last) here, before the write takes the writer lock:
        # under the lock it then moves on by the few writes made meanwhile and its own,
        # instead of holding every other writer back while it catches up (or, in a new
        # worker, while it reads the whole ledger).
        self.ledger.analysis()

    def opened(self, session: Session) -> Any:
        return self.ledger._unit_opened(Unit(session))

    def closing(self, session: Session, opened: Any) -> Any:
        return None if opened is None else self.ledger._unit_closing(Unit(session), opened)

    def committed(self, closed: Any) -> None:
        self.ledger._unit_committed(closed)


def _differences(
    stored: list[dict[str, Any]], computed: list[dict[str, Any]], where: str
) -> list[Finding]:
    def named(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(sorted(row.items()))

    extra = Counter(map(named, stored)) - Counter(map(named, computed))
    missing = Counter(map(named, computed)) - Counter(map(named, stored))
    found = []
    for rows, problem in (
        (extra, "is stored but not computed"),
        (missing, "is computed but not stored"),
    ):
        for row in sorted(rows, key=repr):
            shown = dict(row)
            found.append(
                Finding(
                    f"{where} {shown['component'][:12]} {shown['population']} "
                    f"{shown['kind']} {shown['day']}",
                    f"the row {_row_words(shown)} {problem}",
                )
            )
    return found


def _row_words(row: dict[str, Any]) -> str:
    def bound(value: float | None) -> str:
        return "open" if value is None else f"{value:g}"

    return (
        f"(daily {row['daily_low']:g}..{bound(row['daily_high'])}, running total moved "
        f"{row['moved_low']:g}..{bound(row['moved_high'])})"
    )
