"""The ledger's use cases, one module each; `ledger.service.Ledger` joins them for the API and
the command line.

- `sources`: store reports and read them back.
- `revising`: how entries, terms and exchanges are recorded, revised and retracted (appended).
- `entries`: entries, terms and context notes; a draft's preview.
- `exchanges`: exchanges, and why one named by records in force stays.
- `figures`: what the ledger adds up to (totals, schedule, still held, checks), per revision.
- `publishing`: the published CSV tables and their data package.
- `access`: tokens, authentication and writes made once per idempotency key.
- `operations`: revision, counts, verify, backup and restore, the journal's head.

Each opens one unit of work (`base.LedgerBase.reading()` / `writing()`) and asks its parts.
"""
