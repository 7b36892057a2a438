"""A generated ledger in the shape reporting takes (DESIGN.md), drawn from a hidden truth.

Exchanges of daily handovers, each handover told as an aggregate and as a breakdown by
nationality (and again by a second report, corroborating it), detainees per round (some rounds
straddling midnight), bodies returned in a figure that mixes the living and the dead, running
totals every few days, now and then a running total of one nationality (which crosses the
daily aggregates: the solver's path), and a few wrong reports (conflicts). Every scope names
its exchange and party, as an editor's desk would.

The rows are those `bench.generate` loads in bulk: (entry id, kinds, population, count,
qualifier, start, end, party, nationalities, framework, exchange, batches, description,
evidence).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

FIRST = dt.date(2015, 1, 1)
YEARS = 10
NATIONALITIES = ("Israeli", "Thai", "Filipino", "Nepali", "French", "American")
CROSSING = 0.1  # exchanges with a running total of one nationality (not nested)
WRONG = 0.05  # exchanges with one wrong report


@dataclass
class Round:
    """One handover: the people of one batch, released over one day or two."""

    start: dt.date
    end: dt.date
    batch: str
    living: dict[str, int]
    bodies: int
    detainees: int


@dataclass
class Exchange:
    id: str
    first: dt.date
    last: dt.date
    rounds: list[Round] = field(default_factory=list)


def exchanges(seed: int = 5) -> Iterator[Exchange]:
    """Exchanges, each with its hidden truth, for as long as they are asked for."""
    rng = random.Random(seed)
    for n in itertools.count():
        days = rng.randrange(14, 31)
        first = FIRST + dt.timedelta(days=rng.randrange(365 * YEARS - days))
        yield _exchange(rng, f"exc_gen{n:07d}", first, days)


def _exchange(rng: random.Random, exchange_id: str, first: dt.date, days: int) -> Exchange:
    exchange = Exchange(exchange_id, first, first + dt.timedelta(days=days - 1))
    for d in range(days):
        day = first + dt.timedelta(days=d)
        straddles = rng.random() < 0.1 and d + 1 < days
        living = {
            nat: rng.randrange(0, 8) for nat in rng.sample(NATIONALITIES, rng.randrange(1, 4))
        }
        exchange.rounds.append(
            Round(
                day,
                day + dt.timedelta(days=1 if straddles else 0),
                f"{day.isoformat()}{' night' if straddles else ''}",
                living,
                rng.randrange(0, 3) if rng.random() < 0.15 else 0,
                rng.randrange(10, 60),
            )
        )
    return exchange


def crossing(days: int, seed: int = 9) -> tuple[Exchange, list[Row]]:
    """One exchange of `days` daily handovers whose hostage reports do not nest (a running
    total of one nationality beside the daily aggregates, and bodies in a mixed figure), with
    what its reports state, one of them wrong: the solver's path, with a conflict to find."""
    rng = random.Random(seed)
    exchange = _exchange(rng, "exc_crossing", FIRST, days)
    return exchange, list(_reports(exchange, rng, crossing=True, wrong=True))


Row = tuple[object, ...]


def entry_rows(
    entries: int, cited: list, seed: int = 5, reported: list[Exchange] | None = None
) -> Iterator[Row]:
    """The reports of generated exchanges, `entries` of them, as rows for the bulk loaders;
    each exchange reported on is appended to `reported`, to be recorded too."""
    rng = random.Random(seed + 1)
    made = 0
    for exchange in exchanges(seed):
        if made >= entries:
            return
        if reported is not None:
            reported.append(exchange)
        for row in _reports(exchange, rng):
            if made >= entries:
                return
            yield (f"ent_s{made:09d}", *row, _evidence(rng, cited))
            made += 1


def _reports(
    exchange: Exchange, rng: random.Random, crossing: bool = False, wrong: bool = False
) -> Iterator[Row]:
    """What the reports of one exchange state, statement by statement; with `crossing` (a
    running total of one nationality) and `wrong` (a wrong report), those are certain, else
    they come now and then."""
    x = exchange.id
    erring = wrong or rng.random() < WRONG
    wrong_day = rng.randrange(len(exchange.rounds)) if erring else None
    so_far = 0
    nat_so_far: dict[str, int] = {}
    crosses = crossing or rng.random() < CROSSING
    named = rng.choice(NATIONALITIES) if crosses else None
    for n, r in enumerate(exchange.rounds):
        living = sum(r.living.values())
        both = living + r.bodies
        hostages = ("hostages", "Hamas", "truce_deal", x, (r.batch,))
        # The aggregate, and a second report of it; the breakdown by nationality.
        count = both if r.bodies else living
        kinds = ("released", "remains_returned") if r.bodies else ("released",)
        yield _row(kinds, hostages, count, r.start, r.end, None, "hostages handed over")
        if rng.random() < 0.4:
            yield _row(kinds, hostages, count, r.start, r.end, None, "the same, elsewhere")
        if r.bodies:
            yield _row(("remains_returned",), hostages, r.bodies, r.start, r.end, None, "bodies")
        for nat, k in r.living.items():
            yield _row(("released",), hostages, k, r.start, r.end, (nat,), f"{nat} hostages")
            nat_so_far[nat] = nat_so_far.get(nat, 0) + k
        if n == wrong_day:
            yield _row(("released",), hostages, living + 1, r.start, r.end, None, "a wrong count")
        detainees = ("detainees", "Israel", "truce_deal", x, (r.batch,))
        yield _row(("released",), detainees, r.detainees, r.start, r.end, None, "prisoners")
        so_far += living
        if n % 3 == 2 and r.start == r.end:
            total = ("hostages", "Hamas", "truce_deal", x, None)
            yield _row(("released",), total, so_far, exchange.first, r.end, None, "so far")
            if named is not None and named in nat_so_far:
                yield _row(("released",), total, nat_so_far[named], exchange.first, r.end,
                           (named,), f"{named} hostages so far")  # fmt: skip


def _row(
    kinds: tuple[str, ...],
    scope: tuple[object, ...],
    count: int,
    start: dt.date,
    end: dt.date,
    nationality: tuple[str, ...] | None,
    description: str,
) -> Row:
    population, party, framework, exchange, batch = scope
    return (kinds, population, count, "exact", start, end, party, nationality, framework,
            exchange, batch, description)  # fmt: skip


def _evidence(rng: random.Random, cited: list) -> list[tuple[str, int, str, int]]:
    c = cited[rng.randrange(len(cited))]
    quote = c.sentence.text[: rng.randrange(12, 40)].rstrip()
    return [(c.source, c.sentence.n, quote, c.sentence.start)]
