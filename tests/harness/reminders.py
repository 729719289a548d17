"""Reminders on the production topology, as processes: two web servers (gunicorn), two Celery
workers and Celery beat on Redis and a PostGIS database, e-mail to a real SMTP server (aiosmtpd);
one worker SIGKILLed mid-run (``tests/notifications_faults/``, ``bench/reminders.py``).

Tasks are made while everything runs, each with its reminder due at once (due in 10 minutes,
the reps' lead time 30): through the two web servers' API (``via="api"``, alternating), or in
one bulk insert (``via="bulk"``, so thousands are due at the same instant). Beat asks for
reminders and deliveries every second; the workers make the reminders (any number of runs make
each once) and send the e-mails (each claimed before it is sent). When a quarter of the
messages have arrived, worker 1 is SIGKILLed: whatever it had claimed waits for its lease
(shortened to ``lease_s``) and goes again from worker 2 with the same Message-ID.

The answer: every expected Message-ID (one per task, read from the deliveries table) and
which arrived, the copies (a Message-ID received more than once) with their rows' attempts,
and the time from each reminder being due (its task's creation) to its first arrival.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness.database import Database, fresh_database
from tests.harness.env import PY, ROOT, base_env, harness_child
from tests.harness.phone import http
from tests.harness.redis import redis_server
from tests.harness.server import Server, kill_group, stop_group
from tests.harness.smtp import Inbox, smtp_server


@dataclass
class Celery:
    """``celery worker`` (one process: the solo pool, so a SIGKILL takes all of it) or
    ``celery beat``, in a process group of its own."""

    args: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen | None = None

    def start(self) -> Celery:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [PY, "-m", "celery", "--app", "fieldcrm.celery", *self.args],
                cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        return self

    def wait_ready(self, timeout: float = 120) -> None:
        """Until the worker says it is ready (so the run times reminders, not start-up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log.read_text(errors="replace"):
                return
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"celery did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, timeout=15)
            self.proc = None


@dataclass
class Outcome:
    expected: set[str]
    received: Counter[str]
    copies: dict[str, int]  # Message-ID -> attempts its delivery row counts
    kills: int
    latencies: list[float] = field(default_factory=list)  # seconds, due -> first arrival
    connections: int = 0  # SMTP connections the messages came over
    span_s: float = 0.0  # first due -> last first arrival
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def missing(self) -> set[str]:
        return self.expected - set(self.received)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 3) if lat else 0.0

        return {
            "expected": len(self.expected), "arrived": len(set(self.received) & self.expected),
            "missing": len(self.missing),
            "copies": sum(self.received.values()) - len(self.received),
            "copied": self.copies, "kills": self.kills, "statuses": dict(self.statuses),
            "p50_s": pct(0.50), "p95_s": pct(0.95), "span_s": round(self.span_s, 2),
            "per_s": round(len(lat) / self.span_s, 1) if self.span_s else 0.0,
            "smtp_connections": self.connections,
        }  # fmt: skip


@contextlib.contextmanager
def topology(
    base_url: str,
    workdir: Path,
    *,
    reps: int,
    lease_s: int,
    extra_env: dict[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """The running processes and what the run needs of them."""
    # Accounts are not needed, but the suite's usual shape shares its migrated template.
    db, world = fresh_database(base_url, workdir, reps=reps, accounts=3)
    harness_child(db, "mail_reps")
    with redis_server() as redis, smtp_server() as inbox:
        inbox.delay = 0.005
        env = {
            "FIELDCRM_REDIS_URL": redis, "FIELDCRM_CELERY_BROKER_URL": redis,
            "FIELDCRM_EMAIL_HOST": inbox.host, "FIELDCRM_EMAIL_PORT": str(inbox.port),
            "FIELDCRM_REMIND_EVERY_S": "1", "FIELDCRM_DELIVER_EVERY_S": "1",
            "FIELDCRM_DELIVERY_LEASE_S": str(lease_s), "FIELDCRM_BACKUP_AT": "off",
            **(extra_env or {}),
        }  # fmt: skip
        celery_env = base_env(db.url, db.workdir, **env)
        logs = db.workdir
        workers = [
            Celery(["worker", "--pool", "solo", "-n", f"w{i}@%h", "--loglevel", "INFO",
                    "--without-gossip", "--without-mingle"],
                   celery_env, logs / f"worker{i}.log")
            for i in (1, 2)
        ]  # fmt: skip
        beat = Celery(["beat", "--loglevel", "WARNING", "--schedule", str(logs / "beat-schedule")],
                      celery_env, logs / "beat.log")  # fmt: skip
        with Server(db, **env) as web1, Server(db, **env) as web2:
            for process in (*workers, beat):
                process.start()
            try:
                for worker in workers:
                    worker.wait_ready()
                yield {"db": db, "world": world, "inbox": inbox, "webs": [web1, web2],
                       "workers": workers}  # fmt: skip
            finally:
                for process in (beat, *workers):
                    process.stop()


def _make_tasks_api(webs: list[Server], world: dict[str, Any], n: int) -> None:
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)).isoformat()
    reps = world["reps"]
    failures: list[Any] = []

    def make(k: int) -> None:
        for i in range(k, n, 4):
            rep = reps[i % len(reps)]
            status, body = http("POST", f"{webs[i % 2].url}/api/v1/tasks", rep["token"],
                                {"title": f"Call {i}", "due_at": due})  # fmt: skip
            if status != 201:
                failures.append((status, body))

    threads = [threading.Thread(target=make, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]


def _expected(db: Database) -> dict[str, tuple[float, int, str]]:
    """Message-ID -> (its task's creation as Unix time, attempts, status) per e-mail row."""
    rows = db.query(
        "SELECT d.key, d.attempts, d.status, t.created_at FROM notifications_delivery d"
        " JOIN notifications_notification n ON n.id = d.notification_id"
        " JOIN tasks_task t ON t.id = n.record_id WHERE d.channel = 'email'"
    )
    out = {}
    for key, attempts, status, created in rows:
        moment = created if isinstance(created, dt.datetime) else dt.datetime.fromisoformat(created)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        out[f"<{key}@fieldcrm>"] = (moment.timestamp(), attempts, status)
    return out


def run(
    base_url: str, workdir: Path, *, tasks: int, reps: int = 2, via: str = "api",
    lease_s: int = 3, timeout: float = 600, extra_env: dict[str, str] | None = None,
) -> Outcome:  # fmt: skip
    with topology(base_url, workdir, reps=reps, lease_s=lease_s, extra_env=extra_env) as top:
        inbox: Inbox = top["inbox"]
        db: Database = top["db"]
        if via == "api":
            _make_tasks_api(top["webs"], top["world"], tasks)
        else:
            harness_child(db, "due_tasks", str(tasks))
        kills = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            arrived = {m["Message-ID"] for m in inbox.messages}
            if kills == 0 and len(arrived) >= tasks // 4:
                top["workers"][0].kill()  # mid-run: it holds a claim, or is about to
                kills = 1
            if len(arrived) >= tasks:
                break
            time.sleep(0.05)
        time.sleep(lease_s + 1)  # let a copy from the killed worker's claim arrive, if any
        expected = _expected(db)
    first: dict[str, float] = {}
    for message, at in zip(inbox.messages, inbox.arrivals, strict=True):
        first.setdefault(message["Message-ID"], at)
    received = Counter(m["Message-ID"] for m in inbox.messages)
    copies = {mid: expected[mid][1] for mid, n in received.items() if n > 1 and mid in expected}
    latencies = [first[mid] - due for mid, (due, _a, _s) in expected.items() if mid in first]
    span = (max(first.values()) - min(d for d, _a, _s in expected.values())) if first else 0.0
    return Outcome(
        expected=set(expected), received=received, copies=copies, kills=kills,
        latencies=latencies, span_s=span, connections=len(set(inbox.peers)),
        statuses=Counter(status for _d, _a, status in expected.values()),
    )  # fmt: skip


def mail_reps_here() -> dict[str, Any]:
    """The child's side: every rep has an address and wants task reminders by e-mail (and
    no digest, whose morning mail would blur the count)."""
    from fieldcrm.notifications.models import NotificationPreference
    from fieldcrm.users.models import User

    reps = list(User.objects.filter(role="rep"))
    for rep in reps:
        rep.email = f"{rep.username}@example.test"
    User.objects.bulk_update(reps, ["email"])
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=r, kind=k, channel=c) for r in reps
         for k, c in (("task_due", "email"), ("daily_digest", "in_app"))]
    )  # fmt: skip
    return {"reps": len(reps)}


def due_tasks_here(n: int) -> dict[str, Any]:
    """The child's side of ``via="bulk"``: ``n`` tasks at once, round-robin over the reps."""
    from django.utils import timezone

    from fieldcrm.core.models import insert_many
    from fieldcrm.tasks.models import Task
    from fieldcrm.users.models import User

    reps = list(User.objects.filter(role="rep").order_by("pk"))
    due = timezone.now() + dt.timedelta(minutes=10)
    insert_many([Task(title=f"Call {i}", assignee=reps[i % len(reps)], due_at=due)
                 for i in range(n)])  # fmt: skip
    return {"tasks": n}
