"""A throwaway PostgreSQL + PostGIS cluster for the test run and the benchmarks.

initdb and postgres refuse to run as root, and CI runs as root: the cluster then runs as the
``postgres`` system user, in a temporary folder it owns, on a Unix socket there and a free port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PG_BIN = Path(os.environ.get("FIELDCRM_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def postgis_cluster(dbname: str = "fieldcrm") -> Iterator[str]:
    """Start a cluster, create ``dbname`` with PostGIS, yield its DATABASE_URL, stop it."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL 15 not found in {PG_BIN}: run `make sysdeps`.")
    root = Path(tempfile.mkdtemp(prefix="fieldcrm-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()
    log = root / "server.log"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    try:
        subprocess.run(
            _as_owner([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                       "--no-sync", "-E", "UTF8"]),
            check=True, **quiet,
        )  # fmt: skip
        # Throwaway data: durability off makes the suite several times faster.
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(
            _as_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                       "-w", "start"]),
            check=True, **quiet,
        )  # fmt: skip
        env = {**os.environ, "PGHOST": str(root), "PGPORT": str(port), "PGUSER": "postgres"}
        for _ in range(50):
            ready = subprocess.run([str(PG_BIN / "pg_isready")], env=env, **quiet)
            if ready.returncode == 0:
                break
            time.sleep(0.1)
        subprocess.run(["createdb", dbname], env=env, check=True)
        subprocess.run(
            ["psql", "-q", "-d", dbname, "-c", "CREATE EXTENSION postgis"], env=env, check=True
        )
        yield f"postgis://postgres@127.0.0.1:{port}/{dbname}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                **quiet,
            )
        shutil.rmtree(root, ignore_errors=True)
