"""Fault-suite kit: a real FieldCRM server in its own process, a seeded world, an HTTP phone.

Used by tests/fieldcrm/sync/test_faults.py and bench/sync_faults.py / bench/sync_load.py.

- ``fresh_database(base_url, workdir)``: a migrated database of the same kind as ``base_url``
  (a SpatiaLite file copied from one migrated template; or a new PostGIS database created from
  a migrated template database in the same cluster).
- ``seed(db, reps=2, accounts=3)``: regions, territories (one per rep, side by side), reps with
  API tokens, an admin token, accounts per territory (run in a child process against ``db``).
- ``Server``: gunicorn ``fieldcrm.wsgi:application`` with 2 workers on a free port; ``kill()``
  SIGKILLs the whole process group (master and workers), ``start()`` brings it back.
- ``Phone``: a rep's client over HTTP (Bearer token, so no CSRF) with an outbox it replays.
- ``check_oracle``: one row per client UUID, nothing half-saved, read straight from the tables.

``python -m tests.fieldcrm.sync.faultkit seed|interleave`` are the child-process entry points.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[3]
PY = sys.executable
SECRET = "fault-suite-secret-key-not-for-production-0123456789abcdef"
_TEMPLATES: dict[str, str] = {}  # base url -> migrated template (file path or database name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
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


# --- Databases -------------------------------------------------------------------------------


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
        """Plain SQL on the server's tables (no Django in this process)."""
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


def _pg_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        **os.environ,
        "PGHOST": parts.hostname,
        "PGPORT": str(parts.port),
        "PGUSER": parts.username or "postgres",
    }


def _migrate(url: str, workdir: Path) -> None:
    subprocess.run(
        [PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=base_env(url, workdir), check=True
    )


def fresh_database(base_url: str, workdir: Path, reps: int = 2, accounts: int = 3):
    """A new migrated database of the kind ``base_url`` names, seeded (``_seed_here``), and the
    seeded world. Migrating and seeding happen once per shape: copies are cheap."""
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"faults_{uuid.uuid4().hex[:10]}"
    key = f"{base_url.split(':')[0]}:{reps}:{accounts}"
    if base_url.startswith("spatialite"):
        if key not in _TEMPLATES or not Path(_TEMPLATES[key][0]).exists():
            template = str(workdir / f"template-{reps}-{accounts}-{uuid.uuid4().hex[:6]}.db")
            db = Database(f"spatialite:///{template}", workdir)
            _migrate(db.url, workdir)
            world = seed(db, reps, accounts)
            con = sqlite3.connect(template)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("PRAGMA journal_mode=DELETE")
            con.close()
            _TEMPLATES[key] = (template, world)
        template, world = _TEMPLATES[key]
        target = workdir / f"{name}.db"
        shutil.copyfile(template, target)
        return Database(f"spatialite:///{target}", workdir), world
    parts = urlsplit(base_url)
    env = _pg_env(base_url)
    key = f"{base_url}:{reps}:{accounts}"
    if key not in _TEMPLATES:
        template = f"faults_template_{uuid.uuid4().hex[:6]}"
        subprocess.run(["createdb", template], env=env, check=True)
        subprocess.run(
            ["psql", "-q", "-d", template, "-c", "CREATE EXTENSION postgis"], env=env, check=True
        )
        db = Database(parts._replace(path=f"/{template}").geturl(), workdir)
        _migrate(db.url, workdir)
        _TEMPLATES[key] = (template, seed(db, reps, accounts))
    template, world = _TEMPLATES[key]
    subprocess.run(["createdb", "-T", template, name], env=env, check=True)
    return Database(parts._replace(path=f"/{name}").geturl(), workdir), world


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


def seed(db: Database, reps: int = 2, accounts: int = 3) -> dict[str, Any]:
    """Seed in a child process; returns tokens and ids (see ``_seed_here``)."""
    out = subprocess.run(
        [PY, "-m", "tests.fieldcrm.sync.faultkit", "seed", str(reps), str(accounts)],
        cwd=ROOT,
        env=base_env(db.url, db.workdir),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _seed_here(reps: int, accounts: int) -> dict[str, Any]:
    from django.conf import settings
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon

    from fieldcrm.accounts.services import account_create
    from fieldcrm.territories.models import Region, Territory
    from fieldcrm.territories.services import territory_save
    from fieldcrm.users.models import User
    from fieldcrm.users.services import token_create

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def square(x0, y0, x1, y1):
        return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)

    def user(username, role):
        u = User(
            username=username, role=role, is_staff=role == "admin", is_superuser=role == "admin"
        )
        u.set_password("pw-" + username)
        u.save()
        return u

    cols = 20
    width = 0.01
    rows_n = (reps + cols - 1) // cols
    admin = user("admin", "admin")
    manager = user("manager", "manager")
    region = Region.objects.create(
        name="North",
        boundary=square(1.0, 42.0, 1.0 + cols * width, 42.0 + rows_n * width),
        manager=manager,
    )
    manager.regions.add(region)
    out: dict[str, Any] = {
        "admin": token_create(user=admin, name="faults")[1],
        "manager": token_create(user=manager, name="faults")[1],
        "reps": [],
    }
    for i in range(reps):
        x0, y0 = 1.0 + (i % cols) * width, 42.0 + (i // cols) * width
        rep = user(f"rep{i + 1}", "rep")
        territory = territory_save(
            territory=Territory(
                name=f"T{i + 1}", region=region, boundary=square(x0, y0, x0 + width, y0 + width)
            )
        )
        territory.reps.set([rep])
        ids = [
            str(
                account_create(
                    fields={
                        "name": f"Shop {i + 1}.{k}",
                        "status": "customer",
                        "location": Point(
                            x0 + width * (k + 1) / (accounts + 1), y0 + width / 2, srid=4326
                        ),
                    }
                ).pk
            )
            for k in range(accounts)
        ]
        out["reps"].append(
            {
                "username": rep.username,
                "id": rep.pk,
                "token": token_create(user=rep, name="f")[1],
                "territory": territory.pk,
                "box": [x0, y0, x0 + width, y0 + width],
                "accounts": ids,
            }
        )
    return out


# --- The server ------------------------------------------------------------------------------


class Server:
    """gunicorn with 2 workers on 127.0.0.1; a process group of its own so it dies whole."""

    def __init__(self, db: Database, workers: int = 2, **env: str) -> None:
        self.db = db
        self.workers = workers
        self.port = free_port()
        self.env = base_env(db.url, db.workdir, **env)
        self.proc: subprocess.Popen | None = None
        self.log = db.workdir / f"gunicorn-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        cmd = [
            PY,
            "-m",
            "gunicorn",
            "fieldcrm.wsgi:application",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "2",
            "--preload",
        ]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        self._warm()
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer in time")

    def _warm(self) -> None:
        """One request per worker, so the first timed request does not pay imports."""
        for _ in range(self.workers * 2):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{self.url}/healthz", timeout=5).read()

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (no graceful anything)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc = None

    def errors_logged(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        bad = [
            line
            for line in text.splitlines()
            if "Traceback" in line or "database is locked" in line or "Error" in line
        ]
        return "\n".join(bad)


# --- A phone over HTTP -----------------------------------------------------------------------


# Every op a Phone sent and every answer it got, for the bench's per-scenario figures.
LEDGER: dict[str, dict] = {"ops": {}, "answers": {}}


def ledger_reset() -> None:
    LEDGER["ops"].clear()
    LEDGER["answers"].clear()


def _ledger_sent(mutations: list[dict]) -> None:
    for m in mutations:
        if isinstance(m, dict) and "op_id" in m:
            LEDGER["ops"].setdefault(m["op_id"], m)


class Transient(Exception):
    """A network error, a 5xx or a 401: the outbox keeps the item."""


def http(method: str, url: str, token: str | None, body: Any = None, timeout: float = 60):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        try:
            return exc.code, json.loads(payload or b"null")
        except ValueError:
            return exc.code, payload.decode(errors="replace")


def send_and_hang_up(server_url: str, token: str, body: Any) -> None:
    """Send a push and close the socket without reading a byte of the answer."""
    parts = urlsplit(server_url)
    data = json.dumps(body).encode()
    head = (
        f"POST /api/v1/sync/push HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    ).encode()
    _ledger_sent(body["mutations"])
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(head + data)


def op(entity: str, action: str, record_id: Any = None, **kw: Any) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "entity": entity,
        "action": action,
        "id": str(record_id or uuid.uuid4()),
        **kw,
    }


def iso(when) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def visit_op(account_id: str, box: list[float], when=None, rng: random.Random | None = None):
    """A visit logged offline: one create with status done, a next step on one in three."""
    import datetime as dt

    rng = rng or random
    when = when or dt.datetime.now(dt.UTC)
    fields = {
        "account_id": account_id,
        "status": "done",
        "outcome": rng.choice(["order", "follow_up", "not_met"]),
        "notes": f"note {uuid.uuid4().hex[:8]}",
        "check_in": {
            "location": {"lat": (box[1] + box[3]) / 2, "lng": (box[0] + box[2]) / 2},
            "accuracy_m": 10,
            "at": iso(when),
        },
        "completed_at": iso(when + dt.timedelta(minutes=15)),
    }
    if rng.random() < 0.33:
        fields["next_step"] = {"title": "Call back", "due_at": iso(when + dt.timedelta(days=3))}
    return op("visit", "create", fields=fields)


def prospect_op(box: list[float], rng: random.Random | None = None):
    rng = rng or random
    lng = box[0] + (box[2] - box[0]) * rng.uniform(0.1, 0.9)
    lat = box[1] + (box[3] - box[1]) * rng.uniform(0.1, 0.9)
    return op(
        "account",
        "create",
        fields={
            "name": f"Prospect {uuid.uuid4().hex[:6]}",
            "status": "prospect",
            "location": {"lat": lat, "lng": lng},
        },
    )


def note_op(account_id: str):
    return op(
        "activity",
        "create",
        fields={"account_id": account_id, "kind": "note", "subject": f"n {uuid.uuid4().hex[:6]}"},
    )


def mixed_ops(rep: dict, n: int, rng: random.Random) -> list[dict]:
    """A day's outbox: mostly logged visits, some prospects and notes."""
    out = []
    for _ in range(n):
        roll = rng.random()
        account = rng.choice(rep["accounts"])
        if roll < 0.6:
            out.append(visit_op(account, rep["box"], rng=rng))
        elif roll < 0.8:
            out.append(prospect_op(rep["box"], rng))
        else:
            out.append(note_op(account))
    return out


SETTLED = {"applied", "already_applied", "conflict", "rejected"}


@dataclass
class Phone:
    server: str
    token: str
    outbox: list[dict] = field(default_factory=list)
    results: dict[str, dict] = field(default_factory=dict)  # op_id -> last settling result
    cursor: int = 0
    view: dict[str, dict[str, dict]] = field(default_factory=dict)  # plural -> id -> record
    statuses: list[int] = field(default_factory=list)

    def push(self, mutations: list[dict], timeout: float = 60) -> list[dict]:
        status, body = http(
            "POST",
            f"{self.server}/api/v1/sync/push",
            self.token,
            {"device_id": "faults", "mutations": mutations},
            timeout,
        )
        self.statuses.append(status)
        _ledger_sent(mutations)
        if status != 200:
            raise Transient(f"{status}: {str(body)[:300]}")
        for result in body["results"]:
            LEDGER["answers"].setdefault(result["op_id"], []).append(result["status"])
        return body["results"]

    def drain(self, batch: int = 100, attempts: int = 50) -> None:
        """Push the outbox until every item has a per-item answer (only those settle it)."""
        for _ in range(attempts):
            if not self.outbox:
                return
            chunk = self.outbox[:batch]
            try:
                results = self.push(chunk)
            except (Transient, OSError):
                time.sleep(0.2)
                continue
            settled = set()
            for mutation, result in zip(chunk, results, strict=True):
                assert result["op_id"] == mutation["op_id"]
                if result["status"] in SETTLED:
                    self.results[mutation["op_id"]] = result
                    settled.add(mutation["op_id"])
            self.outbox = [m for m in self.outbox if m["op_id"] not in settled]
        raise AssertionError(f"outbox did not drain: {len(self.outbox)} left")

    def pull(self, limit: int = 500) -> dict:
        """Pull until ``more`` is false; apply to the local view."""
        merged: dict[str, Any] = {"changes": {}, "deleted": {}, "removed": {}}
        while True:
            status, body = http(
                "GET",
                f"{self.server}/api/v1/sync/pull?cursor={self.cursor}&limit={limit}",
                self.token,
            )
            self.statuses.append(status)
            if status != 200:
                raise Transient(f"{status}: {str(body)[:300]}")
            apply_pull(self.view, body)
            for key in merged:
                for plural, rows in body[key].items():
                    merged[key].setdefault(plural, []).extend(rows)
            self.cursor = body["cursor"]
            if not body["more"]:
                return merged


def apply_pull(view: dict, body: dict) -> None:
    for plural, rows in body["changes"].items():
        for row in rows:
            view.setdefault(plural, {})[row["id"]] = row
    for plural, ids in body["deleted"].items():
        for pk in ids:
            view.setdefault(plural, {}).pop(pk, None)
    for pk in body["removed"].get("accounts", []):
        view.setdefault("accounts", {}).pop(pk, None)
        for plural in list(view):
            if plural != "accounts":
                for rid, row in list(view[plural].items()):
                    if row.get("account_id") == pk or (row.get("account") or {}) == pk:
                        view[plural].pop(rid)


# --- The oracle ------------------------------------------------------------------------------

TABLES = {
    "visit": "visits_visit",
    "account": "accounts_account",
    "activity": "accounts_activity",
    "contact": "accounts_contact",
    "task": "tasks_task",
}


def _hex(value: str, db: Database) -> str:
    """UUID as stored: SQLite keeps 32 hex chars, PostgreSQL a uuid."""
    return uuid.UUID(value).hex if db.kind == "spatialite" else str(uuid.UUID(value))


@dataclass
class Tally:
    sent: int = 0
    applied: int = 0
    duplicated: int = 0
    lost: int = 0
    half_saved: int = 0
    rejected: int = 0
    seconds: float = 0.0

    def add(self, other: Tally) -> None:
        for name in ("sent", "applied", "duplicated", "lost", "half_saved", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _in_chunks(db: Database, sql: str, values: list[str]) -> list[tuple]:
    rows: list[tuple] = []
    for i in range(0, len(values), 500):
        part = values[i : i + 500]
        rows += db.query(sql.format(marks=",".join(["%s"] * len(part))), tuple(part))
    return rows


def _key(value: Any) -> str:
    return uuid.UUID(str(value)).hex


def check_oracle(db: Database, creates: list[dict], expect_rejected=frozenset()) -> Tally:
    """Per create op: its row (by client UUID) and its claim (AppliedOp by op id).

    - row and an applied claim: applied (more than one row would be a duplicate);
    - neither: lost (or not pushed yet);
    - one without the other, or a logged visit without exactly one visit activity: half-saved;
    - an expected rejection: a rejected claim and no row.
    """
    tally = Tally(sent=len(creates))
    rows: dict[str, int] = {}
    by_entity: dict[str, list[dict]] = {}
    for m in creates:
        by_entity.setdefault(m["entity"], []).append(m)
    for entity, ops in by_entity.items():
        ids = [_hex(m["id"], db) for m in ops]
        for pk, n in _in_chunks(
            db,
            f"SELECT id, COUNT(*) FROM {TABLES[entity]} WHERE id IN ({{marks}}) GROUP BY id",
            ids,
        ):
            rows[_key(pk)] = n
        if entity == "visit":
            tally.half_saved += len(
                _in_chunks(
                    db,
                    "SELECT v.id FROM visits_visit v LEFT JOIN accounts_activity a "
                    "ON a.visit_id = v.id AND a.kind = 'visit' WHERE v.id IN ({marks}) "
                    "GROUP BY v.id HAVING COUNT(a.id) <> 1",
                    ids,
                )
            )
    claims = {
        _key(op_id): status
        for op_id, status in _in_chunks(
            db,
            "SELECT op_id, status FROM sync_appliedop WHERE op_id IN ({marks})",
            [_hex(m["op_id"], db) for m in creates],
        )
    }
    for m in creates:
        n, claim = rows.get(_key(m["id"]), 0), claims.get(_key(m["op_id"]))
        if m["op_id"] in expect_rejected:
            tally.rejected += claim == "rejected" and n == 0
            tally.half_saved += claim != "rejected"
            tally.duplicated += n
        elif n == 0 and claim is None:
            tally.lost += 1
        elif n >= 1 and claim in ("applied", "conflict"):
            tally.applied += 1
            tally.duplicated += n - 1
        else:
            tally.half_saved += 1
    return tally


def kill_mid_batch(db: Database, server: Server, rep: dict, rng: random.Random, size: int = 60):
    """Push a batch; SIGKILL gunicorn at a random moment while the batch's transaction is
    open; check nothing is half-saved; restart; replay the whole outbox; the caller checks
    convergence."""
    ops = mixed_ops(rep, size, rng)
    ids = tuple(_hex(m["op_id"], db) for m in ops)
    marks = ",".join(["%s"] * len(ids))
    count_sql = f"SELECT COUNT(*) FROM sync_appliedop WHERE op_id IN ({marks})"
    killed_in_transaction: list[bool] = []
    done = threading.Event()
    delay = rng.uniform(0.0, 0.04)

    def killer() -> None:
        while not done.is_set():
            if db.writer_open():
                time.sleep(delay)  # a random point inside the transaction
                killed_in_transaction.append(db.writer_open())
                server.kill()
                return
            time.sleep(0.001)

    watcher = threading.Thread(target=killer)
    watcher.start()
    p = Phone(server.url, rep["token"])
    answered = True
    try:
        p.push(ops, timeout=120)
    except (OSError, Transient):
        answered = False
    done.set()
    watcher.join()
    committed = db.scalar(count_sql, ids)
    partial = check_oracle(db, ops)
    # Before the replay: every item is whole or absent.
    half = partial.half_saved + partial.duplicated
    if server.proc is None:
        server.start()
    p.outbox = list(ops)
    p.drain(batch=size)
    # The replaying phone and a fresh install see the same records.
    p.pull()
    fresh = Phone(server.url, rep["token"])
    fresh.pull()
    views_equal = all(
        set(p.view.get(k, {})) == set(fresh.view.get(k, {})) for k in set(p.view) | set(fresh.view)
    )
    return {
        "views_equal": views_equal,
        "ops": ops,
        "delay_s": delay,
        "committed_before_kill": committed,
        # The batch is one transaction: a kill inside it leaves none of its items.
        "all_or_nothing": committed in (0, size),
        "mid_batch": not answered and killed_in_transaction == [True],
        "half_saved_after_kill": half,
    }


# --- Child-process entry points --------------------------------------------------------------


def _skew_here(steps: int) -> dict[str, Any]:
    """Scenario 6 at any size (bench): phone clocks ±24 h in the payloads, the server's clock
    stepped back an hour half-way (time-machine), a second device pulling after every push."""
    import datetime as dt

    import time_machine

    from fieldcrm.access import scoped
    from fieldcrm.accounts.models import Account
    from fieldcrm.sync.selectors import sync_pull
    from fieldcrm.sync.services import sync_push
    from fieldcrm.territories.models import Territory
    from fieldcrm.users.models import User

    rep = User.objects.get(username="rep1")
    box = list(Territory.objects.get(name="T1").boundary.extent)
    shops = [str(pk) for pk in scoped(Account, rep).values_list("pk", flat=True)[:3]]

    def pull_into(view: dict, cursor: int) -> int:
        while True:
            body = sync_pull(actor=rep, cursor=cursor, limit=50)
            apply_pull(view, body)
            cursor = body["cursor"]
            if not body["more"]:
                return cursor

    view: dict = {}
    cursor = pull_into(view, 0)
    sent, statuses = [], []
    now = dt.datetime.now(dt.UTC)
    for step in range(steps):
        phone_now = now + dt.timedelta(hours=24 * (1, -1, 0)[step % 3])
        ops = [
            visit_op(shops[step % 3], box, when=phone_now - dt.timedelta(hours=1)),
            prospect_op(box),
            note_op(shops[(step + 1) % 3]),
        ]
        ops[2]["fields"]["occurred_at"] = iso(phone_now)
        server_now = now - dt.timedelta(hours=1) if step >= steps // 2 else now
        with time_machine.travel(server_now + dt.timedelta(seconds=step), tick=True):
            statuses += [r["status"] for r in sync_push(actor=rep, mutations=ops)]
            sent += ops
            cursor = pull_into(view, cursor)
    plural = {"visit": "visits", "account": "accounts", "activity": "activities"}
    skipped = [m["id"] for m in sent if m["id"] not in view.get(plural[m["entity"]], {})]
    fresh: dict = {}
    pull_into(fresh, 0)
    differs = sorted(
        p for p in set(view) | set(fresh) if set(view.get(p, {})) != set(fresh.get(p, {}))
    )
    return {"ops": sent, "statuses": statuses, "skipped": skipped, "fresh_differs": differs}


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    import django

    django.setup()


def main(argv: list[str]) -> int:
    if argv[0] == "seed":
        _django()
        print(json.dumps(_seed_here(int(argv[1]), int(argv[2]))))
        return 0
    if argv[0] == "skew":
        _django()
        print(json.dumps(_skew_here(int(argv[1]))))
        return 0
    if argv[0] == "interleave":
        _django()
        from tests.fieldcrm.sync import interleave

        report = interleave.run(cases=int(argv[1]), seed=int(argv[2]) if len(argv) > 2 else 0)
        print(json.dumps(report))
        return 0 if report["failures"] == 0 else 1
    raise SystemExit(f"unknown command {argv[0]}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["Database", "Phone", "Server", "Tally", "threading"]
