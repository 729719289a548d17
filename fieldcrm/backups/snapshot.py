"""The database's part of a backup: a consistent snapshot taken while the app runs, and its
restore. SpatiaLite: SQLite's online backup API (page by page, consistent, writers go on).
PostGIS: ``pg_dump`` in its custom format (one transaction snapshot), ``pg_restore`` back."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.db import connections, transaction

Progress = Callable[[str], None]


class SnapshotError(Exception):
    pass


def vendor(alias: str = "default") -> str:
    return connections[alias].vendor


def _raw_sqlite(alias: str) -> sqlite3.Connection:
    connection = connections[alias]
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _pg_tool(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    found = shutil.which(name) or (str(versions[0]) if versions else None)
    if found is None:
        raise SnapshotError(f"{name} not found (install postgresql-client)")
    return found


def _pg_args(alias: str) -> tuple[list[str], dict[str, str]]:
    settings: dict[str, Any] = connections[alias].settings_dict
    args = ["--dbname", settings["NAME"]]
    if settings.get("HOST"):
        args += ["--host", str(settings["HOST"])]
    if settings.get("PORT"):
        args += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["--username", str(settings["USER"])]
    env = {**os.environ}
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    return args, env


def model_tables(*, alias: str = "default") -> list[str]:
    """The tables of the app's models, as they stand in this database."""
    from django.apps import apps

    names = {m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy}
    return sorted(names & set(connections[alias].introspection.table_names()))


def dump(
    target: Path, *, alias: str = "default", progress: Progress = print
) -> tuple[str, dict[str, int]]:
    """Write the database's snapshot to ``target``. Returns its name inside an archive and the
    rows per table *of that snapshot* (what a restore must bring back)."""
    tables = model_tables(alias=alias)
    if vendor(alias) == "sqlite":
        source = _raw_sqlite(alias)
        with sqlite3.connect(target) as copy:
            # A few hundred pages a step: the app's writers are not held up for long.
            source.backup(
                copy, pages=512,
                progress=lambda _s, left, total: progress(f"database {total - left}/{total} pages"),
            )  # fmt: skip
        return "database.sqlite3", sqlite_counts(target, tables)
    if vendor(alias) == "postgresql":
        # Count and dump in one snapshot: pg_dump joins this transaction's exported snapshot.
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
            counts = {}
            for table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connections[alias].ops.quote_name(table)}")
                counts[table] = cursor.fetchone()[0]
            args, env = _pg_args(alias)
            command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--verbose",
                       f"--snapshot={snapshot_id}", "--file", str(target)]  # fmt: skip
            # --verbose names each table as it is dumped: that is the progress shown.
            with subprocess.Popen(
                [*command, *args], env=env, stderr=subprocess.PIPE, text=True
            ) as dumping:
                assert dumping.stderr is not None
                said = []
                for line in dumping.stderr:
                    said.append(line.rstrip())
                    if "dumping contents of table" in line:
                        dumped = line.split("table", 1)[1].strip().strip('"')
                        progress(f"database: {dumped}")
        if dumping.returncode:
            raise SnapshotError("\n".join(said[-20:]))
        progress("database dumped")
        return "database.pgdump", counts
    raise SnapshotError(f"unsupported database: {vendor(alias)}")


def sqlite_counts(path: Path, tables: list[str]) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {
            t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
            for t in tables
            if t in present
        }


def scratch_counts(
    source: Path,
    tables: list[str],
    *,
    alias: str = "default",
    values_of: tuple[str, str] | None = None,
) -> tuple[dict[str, int], list[str]]:
    """Restore the snapshot into a scratch database and count its rows there (then drop it);
    with ``values_of`` (table, column), also that column's non-empty values there."""

    def values(rows: Sequence[Any]) -> list[str]:
        return [r[0] for r in rows if r[0]]

    if vendor(alias) == "sqlite":
        with sqlite3.connect(source) as db:
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise SnapshotError("the database snapshot fails SQLite's integrity check")
            counts = sqlite_counts(source, tables)
            if values_of is None or values_of[0] not in counts:
                return counts, []
            table, column = values_of
            return counts, values(db.execute(f'SELECT "{column}" FROM "{table}"').fetchall())
    import psycopg

    args, env = _pg_args(alias)
    name = f"fieldcrm_verify_{secrets.token_hex(6)}"
    with connections[alias].cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    try:
        scratch = [*args[:1], name, *args[2:]]  # the same server, the scratch database
        command = [_pg_tool("pg_restore"), "--no-owner", "--exit-on-error"]
        done = subprocess.run(
            [*command, *scratch, str(source)], env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise SnapshotError(done.stderr.strip())
        settings = connections[alias].settings_dict
        with psycopg.connect(
            dbname=name, host=settings.get("HOST") or None, port=settings.get("PORT") or None,
            user=settings.get("USER") or None, password=settings.get("PASSWORD") or None,
        ) as pg:  # fmt: skip
            counts = {}
            for table in tables:
                row = pg.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
                counts[table] = row[0] if row else 0
            if values_of is None or values_of[0] not in counts:
                return counts, []
            table, column = values_of
            return counts, values(pg.execute(f'SELECT "{column}" FROM "{table}"').fetchall())
    finally:
        with connections[alias].cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")


def load(
    source: Path,
    *,
    alias: str = "default",
    progress: Progress = print,
    without_rows_of: Sequence[str] = (),
) -> None:
    """Replace the database's content with the snapshot in ``source``. The tables named in
    ``without_rows_of`` come back empty, in the same step as the rest (one transaction on
    PostgreSQL; SQLite: emptied in the extracted copy before it is copied in)."""
    connection = connections[alias]
    if vendor(alias) == "sqlite":
        with sqlite3.connect(source) as snapshot:
            present = {r[0] for r in snapshot.execute("SELECT name FROM sqlite_master")}
            for table in without_rows_of:
                if table in present:
                    snapshot.execute(f'DELETE FROM "{table}"')
            snapshot.commit()
            snapshot.backup(_raw_sqlite(alias), pages=512)
        progress("database restored")
        return
    args, env = _pg_args(alias)
    connection.close()
    command = [
        _pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
    ]
    if without_rows_of:
        # The archive's table of contents minus those tables' data, as pg_restore's own list.
        listed = subprocess.run(
            [_pg_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True
        )
        if listed.returncode:
            raise SnapshotError(listed.stderr.strip())
        skip = [re.compile(rf" TABLE DATA public {re.escape(t)}( |$)") for t in without_rows_of]
        lines = listed.stdout.splitlines()
        keep = [line for line in lines if not any(p.search(line) for p in skip)]
        toc = source.with_name(source.name + ".list")
        toc.write_text("\n".join(keep) + "\n")
        command += ["--use-list", str(toc)]
    done = subprocess.run([*command, *args, str(source)], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SnapshotError(done.stderr.strip())
    progress("database restored")
