"""The analysis modules import each other without a cycle (function-level imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

import bayescape.analysis

PACKAGE = "bayescape.analysis"


def _import_graph(directory: Path) -> dict[str, set[str]]:
    """Module -> the sibling modules it imports anywhere in its source (``__init__`` left out)."""
    modules = {p.stem for p in directory.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in modules:
        deps: set[str] = set()
        for node in ast.walk(ast.parse((directory / f"{name}.py").read_text())):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            if node.module == PACKAGE:
                deps |= {alias.name for alias in node.names}
            elif node.module.startswith(PACKAGE + "."):
                deps.add(node.module.split(".")[2])
        graph[name] = deps & modules
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (its modules in order), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_known_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_analysis_modules_have_no_import_cycle():
    graph = _import_graph(Path(bayescape.analysis.__file__).parent)
    assert "_scoring" in graph["_lofo"] and "_scoring" in graph["_dynamics_lofo"]
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])
