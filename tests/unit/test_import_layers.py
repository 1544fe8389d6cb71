"""The tree reads as the data flow: contracts -> ingest -> (dbt) -> expectations -> models -> dashboards, with `crmwh`
on top. Every import of the repository's own code, including those inside functions, is read from the source; a cycle
between modules or top-level packages, or an import against the flow, fails here."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("contracts", "synth", "ingest", "expectations", "models", "dashboards", "crmwh", "bench")
# What each top-level package may import (besides itself). Product packages never import tests/ or bench/.
ALLOWED: dict[str, set[str]] = {
    "contracts": set(),
    "synth": {"contracts"},
    "ingest": {"contracts"},
    "expectations": {"contracts", "ingest"},
    "models": {"contracts", "expectations"},
    "dashboards": {"contracts"},
    "crmwh": {"contracts", "synth", "ingest", "expectations", "models", "dashboards"},
    "bench": {"contracts", "synth", "ingest", "expectations", "models", "dashboards", "crmwh", "tests"},
}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        root = REPO / package
        for path in sorted(root.rglob("*.py")) if root.is_dir() else ():
            if "node_modules" in path.parts:
                continue
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Imports under ``if TYPE_CHECKING:`` run only for type checkers (lazy re-exports): not dependencies."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return skipped


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The repository modules ``name`` imports (each resolved to the longest known module name)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import module` depends on the module; `from pkg import name` on pkg itself
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            top = target.split(".")[0]
            if top not in PACKAGES and top != "tests":
                continue
            while target and target not in known and top != "tests":
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = dict(_modules())
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for module, targets in graph.items():
        for target in targets:
            if target.split(".")[0] != module.split(".")[0]:
                packages[module.split(".")[0]].add(target.split(".")[0])
    return packages


def test_no_cycle_between_modules() -> None:
    assert _cycles(_graph()) == []


def test_no_cycle_between_packages() -> None:
    graph = {p: t & set(PACKAGES) for p, t in _package_graph(_graph()).items()}
    assert _cycles(graph) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_flow(package: str) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if module.split(".")[0] == package
        for target in targets
        if target.split(".")[0] not in ALLOWED[package] | {package}
    )
    assert wrong == []


def test_the_walk_sees_hidden_imports() -> None:
    """The checks above are only as good as the walk: it must see imports made inside functions."""
    graph = _graph()
    assert "ingest.loader" in graph["crmwh.build"]  # a module-level import
    assert any(t.startswith("expectations") for t in graph["crmwh.build"])  # imported inside a function
