"""The imports run one way (README, "How it is built"): the domain imports nothing
of the project's outside it; the ledger outside its entrypoints imports neither the
read models nor the Kafka side; those two import the ledger, never its entrypoints."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("aggregates", "ledger", "projections", "consumers")
# What each layer may import of the project's packages.
ALLOWED = {
    "aggregates": {"aggregates"},
    "ledger": {"aggregates", "ledger"},
    "ledger.entrypoints": {"aggregates", "ledger", "ledger.entrypoints", "projections", "consumers"},
    "projections": {"aggregates", "ledger", "projections"},
    "consumers": {"aggregates", "ledger", "consumers"},
}


def layer(module: str) -> str:
    return "ledger.entrypoints" if module.startswith("ledger.entrypoints") else module.split(".")[0]


def imports_of(path: Path) -> set[str]:
    """Every project module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        found.update(n for n in names if n.split(".")[0] in PACKAGES)
    return found


def test_every_import_goes_down_the_layers():
    wrong = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for imported in imports_of(path):
                if layer(imported) not in ALLOWED[layer(module)]:
                    wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_the_check_sees_a_wrong_import(tmp_path):
    """The check itself can fail: a domain module importing the ledger is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from ledger.application import Ledger\n")
    assert layer("aggregates.bad") == "aggregates"
    assert {layer(i) for i in imports_of(bad)} - ALLOWED["aggregates"] == {"ledger"}
