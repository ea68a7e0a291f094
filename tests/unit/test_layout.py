"""The layout's rules that a linter does not check: no import cycles between Berth's
modules, and no production module importing the development cluster."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "actions",
    "builds",
    "catalog",
    "configs",
    "console",
    "images",
    "kube",
    "networking",
    "objects",
    "projects",
    "storage",
    "workloads",
)


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def _imports(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file (lazy imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_import_cycles():
    modules = _modules()
    graph = {name: (_imports(path) & modules.keys()) - {name} for name, path in modules.items()}
    state: dict[str, str] = {}
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for dependency in sorted(graph[name]):
            if state.get(dependency) == "open":
                cycles.append(" -> ".join([*trail[trail.index(dependency) :], dependency]))
            elif dependency not in state:
                visit(dependency, [*trail, dependency])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_production_module_imports_the_devcluster():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules().values()
        if any(name == "devcluster" or name.startswith("devcluster.") for name in _imports(path))
    ]
    assert offenders == []
