"""The README's map of the code matches the tree: every top-level folder and every folder of
``fieldcrm/`` (each app included) is on it, and every path it names exists."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _map_paths() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Map of the code\n.*?```\n(.*?)```", text, re.S)
    assert block, "README.md has no map of the code"
    return [line.split()[0] for line in block.group(1).splitlines() if line.strip()]


def _tracked_dirs() -> set[str]:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {f.split("/")[0] + "/" for f in files if "/" in f}


def test_every_path_on_the_map_exists():
    missing = [p for p in _map_paths() if not (ROOT / p).exists()]
    assert not missing, missing


def test_every_top_level_folder_is_on_the_map():
    assert _tracked_dirs() - set(_map_paths()) == set()


def test_every_folder_of_the_project_is_on_the_map():
    folders = {
        f"fieldcrm/{d.name}/"
        for d in (ROOT / "fieldcrm").iterdir()
        if d.is_dir() and d.name != "__pycache__"
    }
    apps = {f"fieldcrm/{a.parent.name}/" for a in (ROOT / "fieldcrm").glob("*/apps.py")}
    assert apps <= folders
    assert folders - set(_map_paths()) == set()
