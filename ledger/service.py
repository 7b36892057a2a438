"""The ledger: every use case (one module each under `ledger.cases`) over one database.

The API and the command line hold one `Ledger`; each of its methods is one thing a person
does, in one unit of work.
"""

from __future__ import annotations

from ledger.cases.access import Access
from ledger.cases.base import SYSTEM, new_id
from ledger.cases.entries import ENTRIES, NOTE_PREFIX, TERMS, Entries
from ledger.cases.exchanges import EXCHANGES, Exchanges
from ledger.cases.operations import Operations
from ledger.cases.publishing import Publishing
from ledger.cases.sources import Sources


class Ledger(Sources, Entries, Exchanges, Publishing, Access, Operations):
    """The ledger over one database."""


__all__ = [
    "ENTRIES",
    "EXCHANGES",
    "NOTE_PREFIX",
    "SYSTEM",
    "TERMS",
    "Ledger",
    "new_id",
]
