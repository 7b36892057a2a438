"""The layers import downwards only, read from each module's own imports: the product
(`ledger`) knows nothing of its HTTP layer (`api`) or of its entry points (`exchange_ledger`),
storage renders no CSV, and a migration imports none of the ledger's live modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def imports_of(package: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(ROOT)): imported(path)
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def test_the_ledger_imports_neither_the_api_nor_the_entry_points():
    reaching = {
        module: sorted(m for m in names if m.split(".")[0] in ("api", "exchange_ledger"))
        for module, names in imports_of("ledger").items()
    }
    assert {module: names for module, names in reaching.items() if names} == {}


def test_the_api_never_imports_the_entry_points():
    reaching = {
        module: sorted(m for m in names if m.split(".")[0] == "exchange_ledger")
        for module, names in imports_of("api").items()
    }
    assert {module: names for module, names in reaching.items() if names} == {}


def test_the_layer_check_sees_imports_inside_functions():
    # The entry points import the API lazily, inside the function that serves it.
    assert "api" in imported(ROOT / "exchange_ledger" / "server.py")


def test_storage_renders_no_csv():
    # Rows of entries.csv are rendered by the use cases (ledger.publication) and stored as text.
    reaching = {
        module: sorted(m for m in names if m in ("ledger.publication", "csv"))
        for module, names in imports_of("ledger/storage").items()
    }
    assert {module: names for module, names in reaching.items() if names} == {}


def test_migrations_carry_their_own_code():
    # A migration runs as it was written, whatever the ledger's modules have become since.
    reaching = {
        module: sorted(m for m in names if m.split(".")[0] in ("ledger", "api"))
        for module, names in imports_of("ledger/storage/migrations/versions").items()
    }
    assert {module: names for module, names in reaching.items() if names} == {}
