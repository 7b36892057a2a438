"""After each write, the ledger's newest answers move on from the ones before (only the
entry revisions written since are read, only the components the write reached are worked out
again) and equal what a ledger that never answered before computes, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from ledger.records import Entry
from ledger.service import Ledger

QUESTIONS = [
    {"population": "hostages", "kind": ("released",)},
    {"population": "detainees", "kind": ("released",)},
    {"population": "hostages", "kind": ("released",), "nationality": "Thai"},
]


def _asked(ledger: Ledger) -> list[Any]:
    return [
        *(ledger.totals(**question) for question in QUESTIONS),
        ledger.checks(),
        ledger.still_held(),
        ledger.state().entries,
    ]


def _data(entry: Entry, **changed: Any) -> dict[str, Any]:
    """An entry's fields as a write sends them, some changed."""
    data = {
        "kind": list(entry.kind),
        "population": entry.population,
        "count": entry.count,
        "qualifier": entry.qualifier,
        "period": {"start": entry.period.start.isoformat(), "end": entry.period.end.isoformat()},
        "party": entry.party,
        "nationality": list(entry.nationality) if entry.nationality else None,
        "framework": entry.framework,
        "exchange": entry.exchange,
        "batch": list(entry.batch) if entry.batch else None,
        "description": entry.description,
        "evidence": [
            {"source": e.source, "sentence": e.sentence, "quote": e.quote} for e in entry.evidence
        ],
    }
    return {k: v for k, v in {**data, **changed}.items() if v is not None}


def test_each_write_answers_as_a_ledger_that_never_answered_before(seeded: Ledger):
    state = seeded.state()
    thais = next(e for e in state.entries if e.id == "ent_seed_parallel_thais")
    hostages = next(e for e in state.entries if e.id == "ent_seed_truce_hostages")
    night = {"start": "2023-11-25", "end": "2023-11-26"}
    before = _asked(seeded)
    kept = seeded.analysis()
    writes = [
        lambda: seeded.add_entry(_data(thais, count=18), "editor"),  # a conflict
        lambda: seeded.add_entry(  # a batch the ledger did not name, of no stated nationality
            _data(hostages, count=24, period=night, nationality=None, batch=["night"]), "editor"
        ),
        lambda: seeded.add_entry(_data(thais, nationality=["Thai", "Nepali"], count=1), "editor"),
        lambda: seeded.revise_entry(hostages.id, _data(hostages, count=51), "seed", "a test"),
        lambda: seeded.retract_entry(thais.id, "seed", "a test"),
    ]
    for n, write in enumerate(writes):
        write()
        moved = _asked(seeded)
        assert moved == _asked(Ledger(seeded.database))
        assert moved != before
        before = moved
        if n == 0:
            # A figure of a nationality the ledger names: the detainees' component, which it
            # does not meet, kept what it had worked out.
            now = seeded.analysis()
            same = {id(c) for c in now.components} & {id(c) for c in kept.components}
            detainees = next(c for c in now.components if c.population == "detainees")
            assert id(detainees) in same
            assert not any(
                r.id == thais.id for c in now.components if id(c) in same for r in c.rows
            )
