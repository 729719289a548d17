"""The phone app's JavaScript unit tests (node --test + fake-indexeddb), run by `make test`."""

import shutil
import subprocess
from pathlib import Path

import pytest

PWA = Path(__file__).resolve().parents[2] / "pwa"


def test_pwa_modules_pass_their_node_unit_tests():
    node = shutil.which("node")
    if node is None or not (PWA / "node_modules" / "fake-indexeddb").exists():
        pytest.skip("node or pwa/node_modules missing: run `make assets`")
    tests = sorted(str(p.relative_to(PWA)) for p in (PWA / "tests").glob("*.test.js"))
    done = subprocess.run(
        [node, "--test", *tests], cwd=PWA, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
