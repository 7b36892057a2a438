"""The entry points: the `exchange-ledger` command (`cli`) and the server it runs (`server`).

They join the product (`ledger`) and its HTTP layer (`api`); `ledger` imports neither.
"""
