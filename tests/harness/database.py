"""One way to make a database for the tests and the benchmarks.

- ``postgis_cluster()``: a throwaway PostgreSQL + PostGIS cluster (``tests/suites.py``, benches).
- ``migrated_database(base_url, workdir)``: a new, migrated, empty database of the kind
  ``base_url`` names; ``fresh_database(...)`` the same, seeded with the world of ``world.py``.
  Both copy a template made once per shape: a SpatiaLite file in ``workdir``, or a template
  database in the cluster ``base_url`` points at (``CREATE DATABASE … TEMPLATE``).
- ``Database``: its URL, and plain SQL on its tables from this process (no Django here).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.harness import world
from tests.harness.env import free_port, manage

PG_BIN = Path(os.environ.get("FIELDCRM_PG_BIN", "/usr/lib/postgresql/15/bin"))
# (kind or base url, shape) -> (template file or database name, the seeded world or None)
_TEMPLATES: dict[str, tuple[str, dict[str, Any] | None]] = {}


@dataclass
class Database:
    url: str
    workdir: Path

    @property
    def kind(self) -> str:
        return "spatialite" if self.url.startswith("spatialite") else "postgis"

    @property
    def path(self) -> str:
        return urlsplit(self.url).path if self.url.startswith("spatialite:////") else ""

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Plain SQL on the server's tables (``%s`` placeholders on both backends)."""
        if self.kind == "spatialite":
            con = sqlite3.connect(self.path, timeout=30)
            try:
                return con.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                con.close()
        import psycopg

        parts = urlsplit(self.url)
        with psycopg.connect(
            host=parts.hostname,
            port=parts.port,
            user=parts.username or "postgres",
            dbname=parts.path.lstrip("/"),
            autocommit=True,
        ) as con:
            return con.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: tuple = ()) -> Any:
        return self.query(sql, params)[0][0]

    def writer_open(self) -> bool:
        """Whether some other connection is inside a write transaction right now."""
        if self.kind == "spatialite":
            con = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            try:
                con.execute("BEGIN IMMEDIATE")  # fails at once while another writer holds it
                con.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                con.close()
        sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL"
            " AND pid <> pg_backend_pid() AND datname = current_database()"
        )
        return self.scalar(sql) > 0


def migrated_database(base_url: str, workdir: Path) -> Database:
    """A new migrated database, empty, of the kind ``base_url`` names."""
    return _copy(base_url, workdir, shape=None)[0]


def fresh_database(
    base_url: str, workdir: Path, reps: int = 2, accounts: int = 3
) -> tuple[Database, dict[str, Any]]:
    """A new migrated database seeded by ``world.seed``, and the seeded world (tokens, ids).
    Migrating and seeding happen once per shape: copies are cheap."""
    db, seeded = _copy(base_url, workdir, shape=(reps, accounts))
    assert seeded is not None
    return db, seeded


def drop_database(db: Database) -> None:
    if db.kind == "spatialite":
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(db.path + suffix).unlink()
    else:
        name = urlsplit(db.url).path.lstrip("/")
        subprocess.run(
            ["dropdb", "--force", "--if-exists", name],
            env=_pg_env(db.url),
            check=False,
            capture_output=True,
        )


def _build(db: Database, shape: tuple[int, int] | None) -> dict[str, Any] | None:
    manage(db, "migrate", "--no-input", "-v0")
    return None if shape is None else world.seed(db, *shape)


def _copy(
    base_url: str, workdir: Path, shape: tuple[int, int] | None
) -> tuple[Database, dict[str, Any] | None]:
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"harness_{uuid.uuid4().hex[:10]}"
    tag = "empty" if shape is None else f"{shape[0]}-{shape[1]}"
    if base_url.startswith("spatialite"):
        key = f"spatialite:{tag}"
        if key not in _TEMPLATES or not Path(_TEMPLATES[key][0]).exists():
            path = workdir / f"template-{tag}-{uuid.uuid4().hex[:6]}.db"
            seeded = _build(Database(f"spatialite:///{path}", workdir), shape)
            con = sqlite3.connect(path)  # one self-contained file, so a plain copy is whole
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("PRAGMA journal_mode=DELETE")
            con.close()
            _TEMPLATES[key] = (str(path), seeded)
        template, seeded = _TEMPLATES[key]
        target = workdir / f"{name}.db"
        shutil.copyfile(template, target)
        return Database(f"spatialite:///{target}", workdir), seeded
    parts = urlsplit(base_url)
    env = _pg_env(base_url)
    key = f"{base_url}:{tag}"
    if key not in _TEMPLATES:
        template = f"harness_template_{uuid.uuid4().hex[:6]}"
        subprocess.run(["createdb", template], env=env, check=True)
        subprocess.run(
            ["psql", "-q", "-d", template, "-c", "CREATE EXTENSION postgis"], env=env, check=True
        )
        seeded = _build(Database(parts._replace(path=f"/{template}").geturl(), workdir), shape)
        _TEMPLATES[key] = (template, seeded)
    template, seeded = _TEMPLATES[key]
    subprocess.run(["createdb", "-T", template, name], env=env, check=True)
    return Database(parts._replace(path=f"/{name}").geturl(), workdir), seeded


def _pg_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port),
        "PGUSER": parts.username or "postgres",
    }


# --- A throwaway cluster ---------------------------------------------------------------------


def _as_owner(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root, and CI runs as root: the cluster then runs as
    # the ``postgres`` system user, in a temporary folder it owns.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _start(data: Path, root: Path, port: int, log: Path) -> dict[str, str]:
    """Start the server of ``data`` on ``port``; the environment for clients of it."""
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
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
        if subprocess.run([str(PG_BIN / "pg_isready")], env=env, **quiet).returncode == 0:
            break
        time.sleep(0.1)
    return env


def _stop(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip


@contextlib.contextmanager
def postgis_cluster(dbname: str = "fieldcrm") -> Iterator[str]:
    """Start a cluster, create ``dbname`` with PostGIS, yield its DATABASE_URL, stop it.

    It listens on a Unix socket in its folder and on 127.0.0.1 at a free port.
    """
    with _cluster(dbname) as (url, _root, _data):
        yield url


@contextlib.contextmanager
def _cluster(dbname: str) -> Iterator[tuple[str, Path, Path]]:
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL 15 not found in {PG_BIN}: run `make sysdeps`.")
    root = Path(tempfile.mkdtemp(prefix="fieldcrm-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    try:
        subprocess.run(
            _as_owner([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                       "--no-sync", "-E", "UTF8"]),
            check=True, **quiet,
        )  # fmt: skip
        env = _start(data, root, port, root / "server.log")
        subprocess.run(["createdb", dbname], env=env, check=True)
        subprocess.run(
            ["psql", "-q", "-d", dbname, "-c", "CREATE EXTENSION postgis"], env=env, check=True
        )
        yield f"postgis://postgres@127.0.0.1:{port}/{dbname}", root, data
    finally:
        _stop(data)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Standby:
    """A hot standby streaming from a primary: the same databases, read-only, at ``port``."""

    port: int
    root: Path

    def url_of(self, db: Database) -> str:
        """The standby's URL for a database of the primary."""
        return urlsplit(db.url)._replace(netloc=f"postgres@127.0.0.1:{self.port}").geturl()

    def sql(self, statement: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as con:
            return con.execute(statement).fetchall()

    def pause_replay(self) -> None:
        """The standby stops applying the primary's commits (it keeps receiving them)."""
        self.sql("SELECT pg_wal_replay_pause()")
        while self.sql("SELECT pg_get_wal_replay_pause_state()")[0][0] != "paused":
            time.sleep(0.01)

    def resume_replay(self) -> None:
        self.sql("SELECT pg_wal_replay_resume()")

    def catch_up(self, primary: Database, timeout: float = 30) -> None:
        """Wait until the standby has replayed everything the primary has written so far."""
        target = primary.scalar("SELECT pg_current_wal_insert_lsn()::text")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0]
            if done:
                return
            time.sleep(0.02)
        raise TimeoutError("the standby did not catch up")


@contextlib.contextmanager
def postgis_primary_and_standby(dbname: str = "fieldcrm") -> Iterator[tuple[str, Standby]]:
    """A throwaway primary (as ``postgis_cluster``) and a hot standby of it, made with
    ``pg_basebackup -R`` (streaming replication, hot_standby on), both as the ``postgres``
    user. Yields the primary's DATABASE_URL and the standby."""
    with _cluster(dbname) as (url, root, _data):
        port, standby_data = free_port(), root / "standby"
        primary = urlsplit(url)
        subprocess.run(
            _as_owner([str(PG_BIN / "pg_basebackup"), "-D", str(standby_data), "-R",
                       "-X", "stream", "-h", "127.0.0.1", "-p", str(primary.port),
                       "-U", "postgres", "--no-sync", "-c", "fast"]),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _start(standby_data, root, port, root / "standby.log")
            yield url, Standby(port=port, root=root)
        finally:
            _stop(standby_data)


# For tests that handle a cluster's files themselves (tests/deploy/test_pitr.py: archiving,
# base backups and recoveries into new data directories).
cluster_with_files = _cluster
start_server = _start
stop_server = _stop
as_owner = _as_owner
