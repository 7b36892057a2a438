"""`python -m exchange_ledger` is the `exchange-ledger` command."""

from exchange_ledger.cli import main

main(prog_name="exchange-ledger")
