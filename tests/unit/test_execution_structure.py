"""The execution core stays acyclic: every import (module top or inside a function) among the modules
of `a2n.execution` and `a2n.services` is an edge, and the graph they make has no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
PACKAGES = ("a2n.execution", "a2n.services")


def module_name(path: Path) -> str:
    parts = path.relative_to(SHARED).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (SHARED / package.replace(".", "/")).glob("*.py"):
            found[module_name(path)] = path
    return found


def imported(path: Path, name: str, known: set[str]) -> set[str]:
    """The known modules `path` imports, anywhere in it (`from pkg import mod` counts as pkg.mod)."""
    edges: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = name.rsplit(".", node.level)[0]
                base = f"{package}.{base}" if base else package
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        edges |= {target for target in targets if target in known and target != name}
    return edges


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported(path, name, known) for name, path in found.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a path (first == last), or None: depth-first search with three colours."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_the_execution_and_services_packages_import_without_a_cycle() -> None:
    edges = graph()
    assert "a2n.execution.steps" in edges and "a2n.services.workflows" in edges  # the scan sees both
    assert find_cycle(edges) is None, f"import cycle: {' -> '.join(find_cycle(edges) or [])}"


def test_the_execution_package_never_imports_the_api() -> None:
    for name, path in modules().items():
        if name.startswith("a2n.execution"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module:
                    assert not node.module.startswith("a2n.api"), (name, node.module)


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_the_cycle_finder_finds_cycles_and_only_cycles(
    edges: dict[str, set[str]], cycle: list[str] | None
) -> None:
    assert find_cycle(edges) == cycle


def test_only_the_api_layer_imports_a2n_api() -> None:
    """House style: services (and everything below them) never import `a2n.api`; the API layer maps
    their results and errors to HTTP, not the other way round. The one package above the API layer is
    the documentation generator (`a2n docs`), which renders the API's own OpenAPI document into
    docs/api.md: like the tests, it reads the API, nothing below it reads it."""
    importers = []
    for path in (SHARED / "a2n").rglob("*.py"):
        name = module_name(path)
        if name.split(".")[:2] in (["a2n", "api"], ["a2n", "docs"]):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            )  # fmt: skip
            if any(t == "a2n.api" or t.startswith("a2n.api.") for t in targets):
                importers.append(f"{name}:{node.lineno}")
    assert importers == []
