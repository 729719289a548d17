"""Scenario 7: interleaved writers on several connections while a phone pulls in a loop.

Run in a child process on a database of its own (``python -m tests.harness interleave N``),
because it needs real connections in real threads (WAL on SpatiaLite, row locks on PostGIS).
Hypothesis draws schedules of begin / write / commit / rollback over ``WRITERS`` connections
and pulls in between (small pages). A transaction either takes its change number at its
first synced write (``transaction.atomic``) or as late as it can (``numbered_at_commit``, a
sync push's: new rows wait with a placeholder, the number comes at the first write of an
existing row or at the end); one whose write met a row changed since it read it
(``StaleRead``) is rolled back, as a push would be before running again. A writer blocked
on the change counter (or SQLite's write lock) is expected: the schedule moves on and the
blocked step finishes when the holder ends.

Oracle after every schedule: the phone's view equals the server's scoped view for rep1
(same ids, same versions), and no pull ever showed anything from a transaction that rolled back.
"""

from __future__ import annotations

import queue
import random
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from fieldcrm.access import scoped
from fieldcrm.accounts.models import Account, Activity
from fieldcrm.accounts.services import account_create, account_delete, account_update
from fieldcrm.core.models import StaleRead, numbered_at_commit
from fieldcrm.sync.selectors import sync_pull
from fieldcrm.users.models import User

WRITERS = 3
BLOCKED_AFTER = 0.02  # seconds without an answer: the writer waits on a lock, move on


@dataclass
class Command:
    verb: str
    args: tuple = ()
    done: threading.Event = field(default_factory=threading.Event)


class Writer(threading.Thread):
    """One connection, driven step by step from the schedule."""

    def __init__(self, name: str, shared: Shared) -> None:
        super().__init__(name=name, daemon=True)
        self.q: queue.Queue[Command] = queue.Queue()
        self.shared = shared
        self.atomic: Any = None
        self.broken = False
        self.pending: list[str] = []  # tokens (ids, values) written in the open transaction

    def run(self) -> None:
        while True:
            cmd = self.q.get()
            try:
                if cmd.verb == "stop":
                    connection.close()
                    return
                getattr(self, "do_" + cmd.verb)(*cmd.args)
            except StaleRead:  # a late-numbered transaction's stale copy: it is rolled back
                self.broken = True
            except Exception:  # noqa: BLE001 - every error is a finding, reported below
                self.shared.errors.append(
                    f"{self.name} {cmd.verb}{cmd.args}: {traceback.format_exc()[-1500:]}"
                )
                self.broken = True
            finally:
                cmd.done.set()

    def do_sync(self) -> None:
        pass

    def do_begin(self, late: bool = False) -> None:
        self.atomic = numbered_at_commit() if late else transaction.atomic()
        self.atomic.__enter__()
        self.broken = False
        self.pending = []

    def do_end(self, commit: bool) -> None:
        if self.atomic is None:
            return
        if not commit or self.broken:
            transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        if not commit or self.broken:
            self.shared.rolled_back.update(self.pending)
        self.atomic, self.pending = None, []

    def do_write(self, kind: str, pick: int) -> None:
        if self.atomic is None:
            with transaction.atomic():
                self._write(kind, pick, [])
        else:
            self._write(kind, pick, self.pending)

    def _write(self, kind: str, pick: int, pending: list[str]) -> None:
        shared = self.shared
        token = uuid.uuid4().hex[:12]
        if kind == "create" or not shared.known:
            box = shared.boxes[pick % 2]
            account = account_create(fields={"name": f"I {token}", "location": _inside(box, pick)})
            pending.append(str(account.pk))
            return
        account = Account.all_objects.get(pk=shared.known[pick % len(shared.known)])
        if kind == "edit":
            account_update(account=account, fields={"phone": token})
            pending.append(token)
        elif kind == "move":
            box = shared.boxes[0 if account.location.x >= shared.boxes[1][0] else 1]
            account_update(account=account, fields={"location": _inside(box, pick)})
            pending.append(f"move-{account.pk}-{account.version}")
        elif kind == "note":
            note = Activity.objects.create(
                account=account,
                kind=Activity.Kind.NOTE,
                occurred_at=timezone.now(),
                subject=token,
            )
            pending.append(str(note.pk))
        elif kind == "delete":
            if account.deleted_at is None:
                account_delete(account=account)


def _inside(box: tuple[float, float, float, float], pick: int) -> Point:
    rng = random.Random(pick)
    return Point(
        rng.uniform(box[0] + 0.001, box[2] - 0.001),
        rng.uniform(box[1] + 0.001, box[3] - 0.001),
        srid=4326,
    )


@dataclass
class Shared:
    boxes: list[tuple[float, float, float, float]]
    known: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rolled_back: set[str] = field(default_factory=set)


class Client:
    """The phone: a cursor and a view, fed by ``sync_pull`` in small pages."""

    def __init__(self, rep: User) -> None:
        self.rep = rep
        self.cursor = 0
        self.accounts: dict[str, dict] = {}
        self.activities: dict[str, dict] = {}
        self.seen: set[str] = set()
        self.pulls = 0

    def pull(self, limit: int) -> None:
        while True:
            body = sync_pull(actor=self.rep, cursor=self.cursor, limit=limit)
            self.pulls += 1
            assert body["cursor"] >= self.cursor, ("cursor went back", body["cursor"], self.cursor)
            for row in body["changes"].get("accounts", []):
                self.accounts[row["id"]] = row
                self.seen.update((row["id"], row["phone"]))
            for row in body["changes"].get("activities", []):
                self.activities[row["id"]] = row
                self.seen.add(row["id"])
            for pk in body["deleted"].get("accounts", []):
                self.accounts.pop(pk, None)
            for pk in body["deleted"].get("activities", []):
                self.activities.pop(pk, None)
            for pk in body["removed"].get("accounts", []):
                self.accounts.pop(pk, None)
                for aid in [a for a, row in self.activities.items() if row["account_id"] == pk]:
                    self.activities.pop(aid)
            self.cursor = body["cursor"]
            if not body["more"]:
                return


def truth(rep: User) -> tuple[dict[str, int], dict[str, int]]:
    accounts = {str(pk): v for pk, v in scoped(Account, rep).values_list("pk", "version")}
    activities = {str(pk): 1 for pk in scoped(Activity, rep).values_list("pk", flat=True)}
    return accounts, activities


step = st.one_of(
    st.tuples(st.just("begin"), st.integers(0, WRITERS - 1), st.booleans()),
    st.tuples(
        st.just("write"),
        st.integers(0, WRITERS - 1),
        st.sampled_from(["create", "edit", "move", "note", "delete", "edit"]),
        st.integers(0, 10_000),
    ),
    st.tuples(st.just("end"), st.integers(0, WRITERS - 1), st.booleans()),
    st.tuples(st.just("pull"), st.sampled_from([1, 2, 3, 50])),
)


def run(cases: int, seed: int = 0) -> dict[str, Any]:
    from fieldcrm.territories.models import Territory

    rep = User.objects.get(username="rep1")
    boxes = []
    for name in ("T1", "T2"):
        x0, y0, x1, y1 = Territory.objects.get(name=name).boundary.extent
        boxes.append((x0, y0, x1, y1))
    shared = Shared(boxes=boxes)
    writers = [Writer(f"w{i}", shared) for i in range(WRITERS)]
    for w in writers:
        w.start()
    client = Client(rep)
    client.pull(500)
    stats = {"cases": 0, "failures": 0, "blocked": 0, "steps": 0, "pulls": 0, "failure": "",
             "late": 0}  # fmt: skip
    started = time.monotonic()

    def send(w: Writer, cmd: Command) -> None:
        w.q.put(cmd)
        if not cmd.done.wait(BLOCKED_AFTER):
            stats["blocked"] += 1

    @hypothesis_seed(seed)
    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(step, min_size=2, max_size=24))
    def schedule(steps: list[tuple]) -> None:
        stats["cases"] += 1
        in_tx = [False] * WRITERS
        for s in steps:
            stats["steps"] += 1
            verb = s[0]
            if verb == "pull":
                client.pull(s[1])
            elif verb == "begin" and not in_tx[s[1]]:
                in_tx[s[1]] = True
                stats["late"] += s[2]
                send(writers[s[1]], Command("begin", (s[2],)))
            elif verb == "write":
                send(writers[s[1]], Command("write", (s[2], s[3])))
            elif verb == "end" and in_tx[s[1]]:
                in_tx[s[1]] = False
                send(writers[s[1]], Command("end", (s[2],)))
        for i, w in enumerate(writers):
            if in_tx[i]:
                w.q.put(Command("end", (True,)))
        for w in writers:
            last = Command("sync")
            w.q.put(last)
            assert last.done.wait(60), f"{w.name} stuck: a lock never released"
        assert not shared.errors, shared.errors
        client.pull(random.choice([1, 3, 500]))
        accounts, activities = truth(rep)
        view_accounts = {pk: row["version"] for pk, row in client.accounts.items()}
        view_activities = dict.fromkeys(client.activities, 1)  # append-only: ids suffice
        missing = set(accounts) - set(view_accounts)
        assert view_accounts == accounts, (
            "accounts differ",
            missing,
            set(view_accounts) - set(accounts),
            {k for k in accounts if accounts[k] != view_accounts.get(k)},
            steps,
        )
        assert view_activities == activities, (
            "activities differ",
            set(activities) - set(view_activities),
            set(view_activities) - set(activities),
            steps,
        )
        leaked = client.seen & shared.rolled_back
        assert not leaked, ("a pull showed rolled-back data", leaked, steps)
        shared.known[:] = [
            str(pk)
            for pk in Account.all_objects.order_by("-change_seq").values_list("pk", flat=True)[:40]
        ]

    try:
        schedule()
    except AssertionError as exc:
        stats["failures"] += 1
        stats["failure"] = str(exc)[:4000]
    except Exception:  # noqa: BLE001
        stats["failures"] += 1
        stats["failure"] = traceback.format_exc()[-4000:]
    finally:
        for w in writers:
            w.q.put(Command("stop"))
        for w in writers:
            w.join(10)
    stats["pulls"] = client.pulls
    stats["seconds"] = round(time.monotonic() - started, 1)
    stats["accounts"] = Account.all_objects.count()
    return stats
