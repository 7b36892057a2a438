"""What the ledger adds up to: the state in force at a moment, its analysis, and every figure
computed from it (totals, schedule, still held, checks), once per revision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ledger.cases.base import LedgerBase
from ledger.checks import Checks, checks
from ledger.counting import Analysis
from ledger.records import POPULATIONS
from ledger.revisions import advanced, current
from ledger.schedule import Schedule, schedule
from ledger.state import State
from ledger.still_held import StillHeld, still_held
from ledger.storage.unit import Unit
from ledger.totals import Totals, answer, ask
from ledger.verify import Finding, describe_checks, describe_implied, describe_names


class Figures(LedgerBase):
    """The ledger's figures, each computed once per revision and question."""

    def revision(self, as_of: dt.datetime | None = None) -> int:
        """The ledger's revision: the number of writes so far (by `as_of`). It changes with
        every write, and at an earlier moment it stays what it was then."""
        if as_of is None:
            return self.database.newest_seq()
        with self.reading() as unit:
            return unit.revision_at(as_of)

    def state(self, as_of: dt.datetime | None = None) -> State:
        """The entries and terms in force at `as_of`, read in one snapshot with its revision.

        The revision is the journal's seq at `as_of` (the head, without one): the number of
        writes the state contains. An earlier moment's state keeps its revision after later
        writes, so the same as_of question is answered the same, revision included. The
        newest state moves on from the one read before it: only the entry revisions written
        since are read.
        """
        with self.reading() as unit:
            records = unit.records
            head = records.head() if as_of is None else None
            revision = unit.revision_at(as_of) if head is None else head[0]
            key = ("state", revision, as_of)
            found = self._memo.get(key)
            if found is None:
                found = self._read_state(unit, as_of, head)
                self._memo.put(key, found)
            return found

    def _read_state(
        self, unit: Unit, as_of: dt.datetime | None, head: tuple[int, dt.datetime] | None
    ) -> State:
        """The state at `as_of`, or the newest: the one `head` (the journal's newest row,
        as `unit` reads it) ends, moved on from this worker's newest state when it can."""
        records = unit.records
        revision = unit.revision_at(as_of) if head is None else head[0]
        earlier = self._newest.state
        if head is not None and earlier is not None and earlier.revision == revision:
            return earlier
        moved = None
        until = as_of if head is None else head[1]
        if head is not None and earlier is not None and earlier.revision < revision:
            # Only what was written since, up to the head (a unit may have written more).
            since = {"as_of": until, "after": earlier.moment}
            entries, changed = advanced(earlier.entries, records.entry_revisions(**since))
            terms, _ = advanced(earlier.terms, records.term_revisions(**since))
            exchanges, _ = advanced(earlier.exchanges, records.exchange_revisions(**since))
            moved = (earlier.revision, tuple(changed))
        else:
            entries = current(records.entry_revisions(as_of=until), until)
            terms = current(records.term_revisions(as_of=until), until)
            exchanges = current(records.exchange_revisions(as_of=until), until)
        return State(
            revision=revision,
            as_of=as_of,
            entries=tuple(entries),
            terms=tuple(terms),
            exchanges=tuple(exchanges),
            moment=head[1] if head is not None else None,
            moved=moved,
        )

    def analysis(self, as_of: dt.datetime | None = None) -> Analysis:
        """The entries in force at `as_of`, split into components and worked out (readings,
        implied counts): once per revision, for every question asked of it.

        The newest analysis moves on from the one before it (`State.analysis`): a write's
        first answer works out only the components the write reached.
        """
        return self._computed("analysis", as_of, {}, self._analysed)

    def warm_up(self) -> None:
        """Work out the newest analysis, and what the dashboard's first page asks of it, before
        anyone asks (a server's worker does in its first quiet moment): the first answer
        after a later write then works out only what the write reached, whichever worker it
        lands on."""
        for population in POPULATIONS:
            self.totals(population=population, kind=("released",))
        self.still_held()
        self.checks()

    def _analysed(self, state: State) -> Analysis:
        if state.as_of is not None or self.database.in_unit:
            return state.analysis()  # a unit's writes may yet roll back: not a base to keep
        return self._newest.analysis(state)

    def totals(
        self,
        as_of: dt.datetime | None = None,
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
        **question: Any,
    ) -> Totals:
        """Day-by-day totals of the entries in force at `as_of` (DESIGN.md's rules)."""
        question = {k: tuple(v) if isinstance(v, list) else v for k, v in question.items()}
        params = {**question, "start": start, "end": end}
        return self._computed(
            "totals",
            as_of,
            params,
            lambda state: answer(self.analysis(as_of), ask(**question), start, end),
        )

    def schedule(self, as_of: dt.datetime | None = None, **key: Any) -> Schedule:
        """The terms' expected curve beside the reported one, day by day, per exchange."""
        return self._computed(
            "schedule",
            as_of,
            key,
            lambda state: schedule(state.terms, self.analysis(as_of), state.exchanges, **key),
        )

    def still_held(self, as_of: dt.datetime | None = None, **filters: Any) -> tuple[StillHeld, ...]:
        """Captured minus every way out of captivity, per party."""
        return self._computed(
            "still_held",
            as_of,
            filters,
            lambda state: still_held(self.analysis(as_of), **filters),
        )

    def checks(self, as_of: dt.datetime | None = None) -> Checks:
        """Every conflict and implied count in the ledger at `as_of`."""
        return self._computed("checks", as_of, {}, lambda state: checks(self.analysis(as_of)))

    def check_findings(self, as_of: dt.datetime | None = None) -> list[Finding]:
        """The conflicts and still-held mismatches of `checks`, each naming its entries and
        their sources (what the reports say that does not add up, not damage to the store),
        and names written before names were normalised, which are keys of their own."""
        state = self.state(as_of)
        return describe_checks(self.checks(as_of), state.entries) + describe_names(
            state.entries, state.terms
        )

    def implied_findings(self, as_of: dt.datetime | None = None) -> list[Finding]:
        """The implied counts of `checks`, each naming the entries that imply it."""
        return describe_implied(self.checks(as_of))

    def _computed(
        self,
        name: str,
        as_of: dt.datetime | None,
        params: dict[str, Any],
        compute: Callable[[State], Any],
    ) -> Any:
        # Computed once per ledger revision: the same question at the same revision is
        # answered from memory, and any write moves the revision on.
        state = self.state(as_of)
        key = (name, state.revision, as_of, tuple(sorted(params.items())))
        found = self._memo.get(key)
        if found is None:
            found = compute(state)
            self._memo.put(key, found)
        return found
