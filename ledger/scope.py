"""Scope: which groups of people a statement is about, and which groups a question asks for.

DESIGN.md: the truth is unknown whole-number daily counts of the finest groups (each
population, kind, party, nationality, framework, exchange and batch). A part of a scope that a
report does not state covers every value of it ("24 hostages" covers Israelis, Thais and
everyone else). Here each part of a scope is read as a set of *atoms*: the values the reports of
one component name, plus one atom, OTHER, for every value none of them names.

- kind: one or more; a figure that mixes the living and the dead covers both kinds.
- party, framework, exchange: one value, or not stated (every value).
- nationality: one or more, naming the nationalities of each person counted; a statement
  about "Israelis" covers every named group whose nationalities include Israeli (a
  Russian-Israeli dual national too). A dual nationality is a group only where a report names
  it, so "13 Israelis" and "10 Thais" are two groups, never people who are both.
- batch: one or more labels within the statement's exchange: reports of one batch tell of the
  same people, reports of different batches never do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple


class _Other:
    """The atom for every value that no report of the component names."""

    _instance: _Other | None = None

    def __new__(cls) -> _Other:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "OTHER"

    def __reduce__(self) -> str:
        return "OTHER"


OTHER = _Other()
# A question for the people of no named nationality (the unnamed rest of an aggregate).
NOT_NAMED = "(not named)"

# How much of an atom, a group of atoms or a variable a question asks for.
NONE, PARTIAL, FULL = 0, 1, 2


def combine(statuses: Iterable[int]) -> int:
    """The status of a union: FULL if every part is, NONE if none is, else PARTIAL."""
    found = set(statuses)
    if found == {FULL}:
        return FULL
    if found <= {NONE}:
        return NONE
    return PARTIAL


def meet(statuses: Iterable[int]) -> int:
    """The status of a product of parts (one per dimension): NONE if any part is NONE."""
    result = FULL
    for status in statuses:
        if status == NONE:
            return NONE
        if status == PARTIAL:
            result = PARTIAL
    return result


class Scope(NamedTuple):
    """The groups a statement covers; None is "not stated" and covers every value."""

    population: str
    kind: tuple[str, ...]
    party: str | None = None
    nationality: tuple[str, ...] | None = None
    framework: str | None = None
    exchange: str | None = None
    batch: tuple[str, ...] | None = None


class Question(NamedTuple):
    """The groups a total asks for; None is "any". `nationality` may be NOT_NAMED."""

    population: str | None = None
    kind: tuple[str, ...] | None = None
    party: str | None = None
    nationality: str | None = None
    framework: str | None = None
    exchange: str | None = None
    batch: str | None = None


# --- atoms per dimension ----------------------------------------------------------------------

# The handover dimension joins exchange and batch, because a batch label is unique only within
# its exchange: (exchange, label) for a named batch, (exchange, None) for the exchange's
# people in no named batch, OTHER for people of no named exchange.
Handover = tuple[str, str | None]


def kind_atoms(scopes: Iterable[Scope]) -> list[str]:
    return sorted({k for s in scopes for k in s.kind})


def party_atoms(scopes: list[Scope]) -> list[object]:
    named = sorted({s.party for s in scopes if s.party is not None})
    return [*named, OTHER] if any(s.party is None for s in scopes) else named


def nationality_atoms(
    scopes: list[Scope], named_sets: Iterable[frozenset[str]], every: bool = False
) -> list[object]:
    """The named groups (of those named anywhere) that a scope stating a nationality covers,
    and OTHER where a scope states none: the people no report stating a nationality covers.
    With `every`, a scope stating none covers every named group too (to find what meets)."""
    stated = [frozenset(s.nationality) for s in scopes if s.nationality is not None]
    unstated = any(s.nationality is None for s in scopes)
    found = {g for g in named_sets if (every and unstated) or any(g >= n for n in stated)}
    ordered: list[object] = sorted(found, key=lambda g: (len(g), sorted(g)))
    return [*ordered, OTHER] if unstated else ordered


def framework_atoms(scopes: list[Scope], frameworks: tuple[str, ...]) -> list[str]:
    if any(s.framework is None for s in scopes):
        return list(frameworks)
    return sorted({s.framework for s in scopes if s.framework is not None})


def handover_atoms(
    scopes: list[Scope], batches: Mapping[str, Sequence[str]], exchanges: Iterable[str]
) -> list[object]:
    """Named batches the scopes cover (`batches`: the labels of each exchange), each
    exchange's people in no named batch, and OTHER.

    A scope that names no exchange covers every exchange the ledger knows, so each of them
    is an atom of its own (its days may be known) and OTHER is the people of none of them."""
    unstated = any(s.exchange is None for s in scopes)
    named = {s.exchange for s in scopes if s.exchange is not None}
    if unstated:
        named |= set(exchanges) | set(batches)
    found: list[object] = []
    for exchange in sorted(named):
        found.append((exchange, None))
        found += [(exchange, label) for label in batches.get(exchange, ())]
    return [*found, OTHER] if unstated else found


# --- what a scope covers ----------------------------------------------------------------------


def covers_kind(scope: Scope, atom: object) -> bool:
    return atom in scope.kind


def covers_party(scope: Scope, atom: object) -> bool:
    return scope.party is None or atom == scope.party


def covers_nationality(scope: Scope, atom: object) -> bool:
    if scope.nationality is None:
        return True
    return atom is not OTHER and atom >= frozenset(scope.nationality)  # type: ignore[operator]


def covers_framework(scope: Scope, atom: object) -> bool:
    return scope.framework is None or atom == scope.framework


def covers_handover(scope: Scope, atom: object) -> bool:
    if scope.exchange is None:
        return scope.batch is None or (atom is not OTHER and atom[1] in scope.batch)  # type: ignore[index]
    if atom is OTHER or atom[0] != scope.exchange:  # type: ignore[index]
        return False
    label = atom[1]  # type: ignore[index]
    return scope.batch is None if label is None else (scope.batch is None or label in scope.batch)


# --- how much of an atom a question asks for --------------------------------------------------


def asks_kind(
    question: Question, atom: object, atoms: list[object], groups: Iterable[frozenset[str]] = ()
) -> int:
    return FULL if question.kind is None or atom in question.kind else NONE


def asks_party(
    question: Question, atom: object, atoms: list[object], groups: Iterable[frozenset[str]] = ()
) -> int:
    wanted = question.party
    if wanted is None:
        return FULL
    if atom is OTHER:
        return NONE if wanted in atoms else PARTIAL
    return FULL if atom == wanted else NONE


def asks_nationality(
    question: Question, atom: object, atoms: list[object], groups: Iterable[frozenset[str]]
) -> int:
    """NOT_NAMED is asked of each variable, not of atoms (see Problem.asked): FULL here."""
    wanted = question.nationality
    if wanted is None or wanted == NOT_NAMED:
        return FULL
    if atom is OTHER:
        # OTHER holds every group that is not an atom here: does one of them include it?
        known = [g for g in groups if wanted in g] or [frozenset([wanted])]
        return NONE if all(g in atoms for g in known) else PARTIAL
    return FULL if wanted in atom else NONE  # type: ignore[operator]


def asks_framework(
    question: Question, atom: object, atoms: list[object], groups: Iterable[frozenset[str]] = ()
) -> int:
    return FULL if question.framework is None or atom == question.framework else NONE


def asks_handover(
    question: Question, atom: object, atoms: list[object], groups: Iterable[frozenset[str]] = ()
) -> int:
    exchange, label = question.exchange, question.batch
    if exchange is None and label is None:
        return FULL
    if atom is OTHER:
        # People of no exchange named here: in no named batch, but of any exchange not named.
        if label is not None:
            return NONE
        known = any(a is not OTHER and a[0] == exchange for a in atoms)  # type: ignore[index]
        return NONE if known else PARTIAL
    atom_exchange, atom_label = atom  # type: ignore[misc]
    if exchange is not None and atom_exchange != exchange:
        return NONE
    if label is None:
        return FULL
    # A batch's people are those of its reports, moved on their days: none are elsewhere.
    return FULL if atom_label == label else NONE
