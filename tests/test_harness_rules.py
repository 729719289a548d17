"""House rules for the harness (tests/harness/), checked on every run.

Good: ``from tests.harness import scenarios`` in a benchmark, then
``scenarios.lost_answers_after_commit(live, pushes=100)``; ``with Server(db) as server:``.
Bad: ``from tests.fieldcrm.sync import test_faults`` in a benchmark (a test module is not a
library: renaming a test breaks the bench, and importing one runs its module-level setup), or
``subprocess.Popen(["gunicorn", "fieldcrm.wsgi", …])`` by hand (each copy forgets something:
its own process group to kill it whole, waiting for /healthz, the production-like settings).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "harness" / "server.py"


def _python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    """Every imported dotted name, ``from a.b import c`` giving a.b and a.b.c."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _starts_gunicorn(tree: ast.AST) -> list[int]:
    """Lines naming gunicorn as a program or module to run, or importing it."""
    lines = [n for n, name in _imports(tree) if name.split(".")[0] == "gunicorn"]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.fullmatch(r"(.*[/\s])?gunicorn", node.value.strip()):
                lines.append(node.lineno)
    return lines


def test_bench_imports_no_test_module():
    offenders = [
        f"{path.relative_to(ROOT)}:{n} imports {name}"
        for path in _python_files("bench")
        for n, name in _imports(ast.parse(path.read_text()))
        if any(part.startswith("test_") for part in name.split("."))
    ]
    assert not offenders, offenders


def test_only_the_harness_starts_gunicorn():
    here = Path(__file__).resolve()  # names gunicorn only to look for it
    files = [p for p in _python_files("tests", "bench", "fieldcrm", "routing", "maps") if p != here]
    starts = {path: _starts_gunicorn(ast.parse(path.read_text())) for path in files}
    assert starts[SERVER], "the harness's Server no longer names gunicorn: update this rule"
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path, lines in starts.items()
        if path != SERVER
        for n in lines
    ]
    assert not offenders, f"start gunicorn through tests.harness.server.Server: {offenders}"
