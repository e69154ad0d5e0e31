"""Data flows one way: data -> models -> inference -> analysis -> report -> cli.

A module of one layer imports nothing from a later one (function-level imports included), so
each layer can be used, tested and read without those above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bayescape

LAYERS = ("data", "models", "inference", "analysis", "report", "cli")
PACKAGE = Path(bayescape.__file__).parent


def _imported(path: Path) -> set[str]:
    """Every module name ``path`` imports, anywhere in its source."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.behaviour
@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_no_layer_imports_a_later_one(layer):
    later = tuple(f"bayescape.{name}" for name in LAYERS[LAYERS.index(layer) + 1 :])
    found = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in (PACKAGE / layer).rglob("*.py")
        for name in _imported(path)
        if name.startswith(later)
    }
    assert not found, sorted(found)
