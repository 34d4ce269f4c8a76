"""The report package imports one way: no module of synthad.report imports itself back, even lazily."""

from __future__ import annotations

import ast
from pathlib import Path

import synthad.report

PACKAGE = Path(synthad.report.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(("synthad",) + parts[:-1] if parts[-1] == "__init__" else ("synthad",) + parts)


def _report_imports(path: Path) -> set[str]:
    """Every ``synthad.report...`` module imported anywhere in the file (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("synthad.report"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("synthad.report")}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    # a package's __init__ re-exporting its submodules is not an edge back to the importer
    return {name: {m for m in _report_imports(path) if m in modules and not name.startswith(f"{m}.")}
            for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules, or [] (depth-first search with colours)."""
    state, stack = {}, []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_report_package_has_no_import_cycle():
    graph = _graph()
    assert "synthad.report.table_format" in graph["synthad.report.tables"]  # the walk sees imports
    assert _cycle(graph) == [], " -> ".join(_cycle(graph))


def test_cycle_finder_finds_a_lazy_cycle():
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []
