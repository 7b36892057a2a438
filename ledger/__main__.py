"""`python -m ledger` is the `exchange-ledger` command."""

from ledger.cli import main

main(prog_name="exchange-ledger")
