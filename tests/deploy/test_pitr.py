"""Point-in-time recovery for PostGIS with the scripts the README documents
(deploy/postgres/: archive-wal.sh as the archive_command, base-backup.sh, restore-to.sh),
on a real throwaway cluster run as the ``postgres`` user: archive its WAL, take a base
backup, commit rows, note a time and an LSN, commit more, then recover copies of the base
backup to each target and check that what was committed before it is there and nothing after.
The base backups and the archived segments are sealed with the backup passphrase (seal.sh):
no file under the backup folder holds the rows in plain, and a wrong passphrase recovers nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.harness.database import (
    PG_BIN,
    as_owner,
    cluster_with_files,
    start_server,
    stop_server,
)
from tests.harness.env import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "deploy" / "postgres"
pytestmark = pytest.mark.postgis


@dataclass
class Primary:
    port: int
    root: Path  # owned by postgres: wal/ (the archive), base/ (base backups), the data dirs
    base: Path  # the base backup taken before any row was written
    time_target: str
    lsn_target: str
    passphrase: Path  # the backup passphrase's file (readable by postgres only)


def _sql(port: int, statement: str, dbname: str = "fieldcrm") -> list[tuple]:
    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname=dbname, autocommit=True
    ) as con:
        cur = con.execute(statement)
        return cur.fetchall() if cur.description else []


PASSPHRASE = "correct horse battery staple"
MARK = "pitr-plain-marker"  # a value the rows hold: it must not appear in any backup file


def _run_as_postgres(
    *args: str, port: int | None = None, passphrase: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PG_BIN": str(PG_BIN)}
    env.pop("FIELDCRM_BACKUP_PASSPHRASE", None)
    if passphrase is not None:
        env["FIELDCRM_BACKUP_PASSPHRASE_FILE"] = str(passphrase)
    if port is not None:  # libpq's PG* for the base backup
        env |= {"PGHOST": "127.0.0.1", "PGPORT": str(port), "PGUSER": "postgres"}
    done = subprocess.run(as_owner(list(args)), env=env, capture_output=True, text=True)
    assert done.returncode == 0 or not check, done.stderr
    return done


def _wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


@pytest.fixture(scope="module")
def primary() -> Iterator[Primary]:
    if os.environ.get("FIELDCRM_TEST_BACKEND") != "postgis":
        pytest.skip("PostgreSQL point-in-time recovery: run once, in the PostGIS pass")
    with cluster_with_files("fieldcrm") as (url, root, data):
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        wal = root / "wal"
        passphrase = root / "backup-passphrase.txt"
        passphrase.write_text(PASSPHRASE + "\n")
        passphrase.chmod(0o600)
        shutil.chown(passphrase, "postgres", "postgres") if os.geteuid() == 0 else None
        # As the README says, with this checkout's script (the compose file mounts the same);
        # the passphrase's file named in the command, as outside the compose file.
        command = (
            f"FIELDCRM_BACKUP_PASSPHRASE_FILE={passphrase} {SCRIPTS / 'archive-wal.sh'} %p %f {wal}"
        )
        _sql(port, "ALTER SYSTEM SET archive_mode = 'on'")
        _sql(port, f"ALTER SYSTEM SET archive_command = '{command}'")
        stop_server(data)  # archive_mode takes a restart
        start_server(data, root, port, root / "server.log")
        out = _run_as_postgres(
            str(SCRIPTS / "base-backup.sh"), str(root), "2", port=port, passphrase=passphrase
        ).stdout
        base = Path(out.split()[0])
        _sql(port, "CREATE TABLE ledger (id int PRIMARY KEY, note text)")
        _sql(port, f"CREATE TABLE plain AS SELECT '{MARK}'::text AS v")
        _sql(port, "INSERT INTO ledger VALUES (1, 'before'), (2, 'before')")
        _sql(port, "INSERT INTO ledger VALUES (3, 'before')")
        # The targets: after the last "before" commit, before the first "after" one.
        time_target = _sql(port, "SELECT clock_timestamp()::text")[0][0]
        lsn_target = _sql(port, "SELECT pg_current_wal_insert_lsn()::text")[0][0]
        _sql(port, "INSERT INTO ledger VALUES (4, 'after')")
        _sql(port, "UPDATE ledger SET note = 'changed after' WHERE id = 1")
        _sql(port, "DELETE FROM ledger WHERE id = 2")
        # Close the segment so it is archived, and wait for the archiver to have it.
        segment = _sql(port, "SELECT pg_walfile_name(pg_switch_wal())")[0][0]
        _wait(lambda: (wal / f"{segment}.gpg").exists(), f"archiving {segment}")
        yield Primary(port, root, base, time_target, lsn_target, passphrase)


def _recover(primary: Primary, target: str, name: str) -> int:
    """A new server recovered from the base backup and the archive to ``target``; its port."""
    data = primary.root / name
    _run_as_postgres(
        str(SCRIPTS / "restore-to.sh"), str(primary.base), str(primary.root / "wal"), str(data),
        target, passphrase=primary.passphrase,
    )  # fmt: skip
    # The recovered copies of this test must not archive their new timelines into the archive
    # the next recovery reads (in production the one recovered server does, on timeline 2).
    with (data / "postgresql.auto.conf").open("a") as conf:
        conf.write("archive_mode = 'off'\n")
    port = free_port()
    try:
        start_server(data, primary.root, port, primary.root / f"{name}.log")
        _wait(lambda: _ready(port), "recovery to end and promote")
    except Exception:
        print((primary.root / f"{name}.log").read_text())
        raise
    return port


def _ready(port: int) -> bool:
    try:
        return _sql(port, "SELECT NOT pg_is_in_recovery()")[0][0]
    except psycopg.OperationalError:
        return False


@pytest.mark.parametrize("kind", ["time", "lsn"])
def test_recovery_to_a_target_keeps_what_was_committed_before_it_and_nothing_after(primary, kind):
    target = primary.time_target if kind == "time" else f"lsn:{primary.lsn_target}"
    port = _recover(primary, target, f"recovered-{kind}")
    try:
        rows = _sql(port, "SELECT id, note FROM ledger ORDER BY id")
        assert rows == [(1, "before"), (2, "before"), (3, "before")]
        # Promoted: it takes writes, on a timeline of its own.
        _sql(port, "INSERT INTO ledger VALUES (5, 'on the new timeline')")
        assert (primary.root / f"recovered-{kind}" / "pg_wal" / "00000002.history").exists()
        assert _sql(primary.port, "SELECT count(*) FROM ledger")[0][0] == 3  # 1, 3, 4
    finally:
        stop_server(primary.root / f"recovered-{kind}")


def test_restore_to_refuses_a_data_directory_that_holds_something(primary, tmp_path):
    data = primary.root / "occupied"
    data.mkdir()
    (data / "PG_VERSION").write_text("15\n")
    shutil.chown(data, "postgres", "postgres") if os.geteuid() == 0 else None
    done = subprocess.run(
        as_owner([str(SCRIPTS / "restore-to.sh"), str(primary.base), str(primary.root / "wal"),
                  str(data), primary.time_target]),
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2 and "not empty" in done.stderr


def test_base_backups_and_segments_are_sealed(primary):
    files = [p for p in (primary.root / "base").rglob("*") if p.is_file()]
    files += [p for p in (primary.root / "wal").iterdir() if p.is_file()]
    names = {p.name for p in files}
    assert {"base.tar.gz.gpg", "pg_wal.tar.gz.gpg", "START_WAL"} <= names
    assert not {"base.tar.gz", "pg_wal.tar.gz"} & names
    assert all(p.name.endswith(".gpg") for p in (primary.root / "wal").iterdir())
    # The rows are in the segments (the recoveries above bring them back), sealed: gzip or
    # not, no file shows them in plain.
    for path in files:
        assert MARK.encode() not in path.read_bytes(), path
    # ... and they are there, under the seal.
    env = {**os.environ, "FIELDCRM_BACKUP_PASSPHRASE_FILE": str(primary.passphrase)}
    opened = [
        subprocess.run([SCRIPTS / "seal.sh", "decrypt"], stdin=p.open("rb"), env=env,
                       capture_output=True, check=True).stdout
        for p in (primary.root / "wal").iterdir()
    ]  # fmt: skip
    assert any(MARK.encode() in plain for plain in opened)


def test_a_wrong_passphrase_recovers_nothing(primary):
    wrong = primary.root / "wrong-passphrase.txt"
    wrong.write_text("not the passphrase\n")
    shutil.chown(wrong, "postgres", "postgres") if os.geteuid() == 0 else None
    data = primary.root / "recovered-wrong"
    done = _run_as_postgres(
        str(SCRIPTS / "restore-to.sh"), str(primary.base), str(primary.root / "wal"), str(data),
        primary.time_target, passphrase=wrong, check=False,
    )  # fmt: skip
    assert done.returncode == 3 and "cannot decrypt" in done.stderr


def test_base_backups_keep_the_newest_and_the_wal_they_need(primary):
    # (runs last: it removes the base backup the recoveries above start from)
    _sql(primary.port, "INSERT INTO ledger SELECT max(id) + 1, 'more' FROM ledger")
    segment = _sql(primary.port, "SELECT pg_walfile_name(pg_switch_wal())")[0][0]
    _wait(lambda: (primary.root / "wal" / f"{segment}.gpg").exists(), f"archiving {segment}")
    time.sleep(1.1)  # base backups are named by the second
    _run_as_postgres(
        str(SCRIPTS / "base-backup.sh"), str(primary.root), "1", port=primary.port,
        passphrase=primary.passphrase,
    )  # fmt: skip
    kept = sorted(p.name for p in (primary.root / "base").iterdir())
    assert len(kept) == 1 and primary.base.name not in kept
    # The WAL before the oldest kept base backup's start is gone; from it on, all there.
    kept_base = primary.root / "base" / kept[0]
    first = (kept_base / "START_WAL").read_text().strip()
    decrypted = subprocess.run(
        f"{SCRIPTS / 'seal.sh'} decrypt < {kept_base / 'base.tar.gz.gpg'} | tar -xzO backup_label",
        shell=True, env={**os.environ, "FIELDCRM_BACKUP_PASSPHRASE_FILE": str(primary.passphrase)},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"(file {first})" in decrypted
    segments = sorted(
        p.name.removesuffix(".gpg") for p in (primary.root / "wal").iterdir()
        if len(p.name) == 28 and p.name.endswith(".gpg")
    )  # fmt: skip
    assert segments and segments[0] >= first
