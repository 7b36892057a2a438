"""The layers import downwards only: the product (`ledger`) knows nothing of its HTTP layer
(`api`) or of its entry points (`exchange_ledger`), read from each module's own imports."""

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
