"""What every process the harness starts shares: the repo root, the Python, the environment.

Django's settings read ``DATABASE_URL`` once per process, so whatever needs Django on a database
of its own (migrating, seeding, scenario children) runs as a child with ``base_env``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
SECRET = "fault-suite-secret-key-not-for-production-0123456789abcdef"


class Target(Protocol):
    """A database a child works on (``database.Database``)."""

    url: str
    workdir: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a production-like child on ``database_url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="fieldcrm.settings",
        FIELDCRM_SECRET_KEY=SECRET,
        FIELDCRM_VAR_DIR=str(workdir / "var"),
        FIELDCRM_DEBUG="0",
        FIELDCRM_ALLOWED_HOSTS="127.0.0.1,localhost",
        FIELDCRM_LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(extra)
    return env


def manage(db: Target, *args: str) -> None:
    """``manage.py ARGS`` on ``db``."""
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=base_env(db.url, db.workdir), check=True)


def child_json(
    db: Target, *argv: str, timeout: float = 1800, check: bool = True, **extra: str
) -> Any:
    """Run ``python ARGV`` on ``db``; its answer is the last line of its stdout, as JSON.

    ``check=False`` for children that print a report and exit 1 when it holds a failure;
    ``extra``: environment variables on top of ``base_env``.
    """
    out = subprocess.run(
        [PY, *argv],
        cwd=ROOT,
        env=base_env(db.url, db.workdir, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = out.stdout.strip().splitlines()
    if not lines or (check and out.returncode != 0):
        raise RuntimeError(f"{argv} exited {out.returncode}: {out.stderr[-3000:]}")
    return json.loads(lines[-1])


def harness_child(db: Target, command: str, *args: str, **kw: Any) -> Any:
    """One of the harness's own child commands (``python -m tests.harness COMMAND``)."""
    return child_json(db, "-m", "tests.harness", command, *args, **kw)
