"""The shape of the routing package itself: no import circles, a light ``import routing``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import routing

PACKAGE = Path(routing.__file__).resolve().parent


def imports_of(path: Path) -> set[str]:
    """The routing modules a module imports anywhere in it (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n.startswith("routing.") and n.count(".") == 1}
    return {n for n in found if (PACKAGE / f"{n.split('.')[1]}.py").is_file()}


def test_routing_modules_import_one_another_without_a_circle():
    # The package's __init__ is left out: it re-exports, and every module is imported below it.
    graph = {
        f"routing.{p.stem}": imports_of(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"
    }
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError(
                "import circle: " + " -> ".join([*path[path.index(module) :], module])
            )
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_road_provider_is_exported_without_importing_scipy_with_the_package():
    code = (
        "import sys, routing; assert 'scipy' not in sys.modules, 'scipy on import routing'; "
        "from routing import road_provider; from routing.roads import road_provider as rp; "
        "assert road_provider is rp and 'road_provider' in routing.__all__"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PACKAGE.parent)
