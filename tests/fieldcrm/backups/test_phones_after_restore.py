"""Issue 23, phones after a restore, with real processes on the suite's database backend.

Twelve phones (``FIELDCRM_RESTORE_PHONES=20``: the issue's twenty), each a ``JournalPhone``
(the phone app's sync over HTTP) in a thread of its own, log visits, prospects and notes and
sync continuously against a real gunicorn. A backup is
taken mid-stream; the phones go on (acknowledged work the backup lacks); the server stops and
its database is replaced by the restore (through the backups services, as ``manage.py
restore`` does); meanwhile the phones queue work offline, including an edit of a prospect the
restore took away. The server starts again, the reps log in again (the restore ended their
tokens), and the phones continue: each meets the new epoch, sends its journal again before its
outbox, pulls from zero. At the end every record any phone created is on the server exactly
once, and each phone's view equals a fresh phone's full pull.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.harness import scenarios
from tests.harness.database import drop_database, fresh_database
from tests.harness.env import harness_child
from tests.harness.ops import mixed_ops, prospect_op, visit_op
from tests.harness.oracle import check_oracle
from tests.harness.phone import Phone, Transient, http
from tests.harness.restore import JournalPhone
from tests.harness.scenarios import edit
from tests.harness.server import Server

BASE_URL = os.environ.get("DATABASE_URL", "spatialite:///unused.db")
# make test: 12; the full size is FIELDCRM_RESTORE_PHONES=20.
PHONES = int(os.environ.get("FIELDCRM_RESTORE_PHONES", "12"))
SYNCS_AFTER_RESTORE = 2


@pytest.fixture(scope="module")
def live():
    with tempfile.TemporaryDirectory(prefix="fieldcrm-restore-") as tmp:
        db, world = fresh_database(BASE_URL, Path(tmp), reps=PHONES)
        try:
            with Server(db) as server:
                yield scenarios.Live(db, world, server)
        finally:
            drop_database(db)


class Stages:
    """What the administrator has done so far, as the phones' threads see it."""

    def __init__(self) -> None:
        self.backed_up, self.down, self.restored = (threading.Event() for _ in range(3))
        self.synced = [threading.Event() for _ in range(PHONES)]  # one sync each, at least
        self.acked = [threading.Event() for _ in range(PHONES)]  # their post-backup prospect


class Life:
    """One phone's day: work, sync, again; offline while the server is down."""

    def __init__(self, i: int, phone: JournalPhone, rep: dict, stages: Stages) -> None:
        self.i, self.phone, self.rep, self.stages = i, phone, rep, stages
        self.rng = random.Random(2300 + i)
        self.creates: list[dict] = []
        self.first: list[dict] = []  # acknowledged before the backup began
        self.prospect: dict | None = None  # acknowledged after the backup was written
        self.error: BaseException | None = None

    def queue(self, ops: list[dict]) -> None:
        self.phone.outbox += ops
        self.creates += [m for m in ops if m["action"] == "create"]

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def _run(self) -> None:
        s, rep = self.stages, self.rep
        offline_work_done, syncs_after = False, 0
        self.queue(mixed_ops(rep, 2, self.rng))
        self.first = list(self.creates)
        deadline = time.monotonic() + 240
        while syncs_after < SYNCS_AFTER_RESTORE:
            assert time.monotonic() < deadline, f"phone {self.i} never settled"
            if s.down.is_set() and not offline_work_done:
                # Offline while the server is down: a visit, and an edit of the prospect the
                # restore is taking away (only the journal can bring it back before the edit).
                assert self.prospect is not None
                self.queue([visit_op(rep["accounts"][0], rep["box"], rng=self.rng)])
                self.phone.outbox.append(edit(self.prospect["id"], 1, phone=("", "offline")))
                offline_work_done = True
            try:
                self.phone.sync()
            except (Transient, OSError):
                time.sleep(0.2)  # the server is down, or the old token is refused: later
                continue
            s.synced[self.i].set()
            if self.prospect is not None and not self.phone.outbox:
                s.acked[self.i].set()
            if s.restored.is_set():
                syncs_after += 1
            elif s.down.is_set():
                continue
            ops = mixed_ops(rep, 2, self.rng)
            if s.backed_up.is_set() and self.prospect is None:
                self.prospect = prospect_op(rep["box"], self.rng)
                ops.append(self.prospect)
            self.queue(ops)


def wait_all(events: list[threading.Event], lives: list[Life]) -> None:
    for event, life in zip(events, lives, strict=True):
        while not event.wait(0.2):
            assert life.error is None, life.error


def test_phones_resend_what_the_restore_lost_and_end_with_the_servers_view(live):
    db, world, server = live
    reps = world["reps"]
    stages = Stages()
    lives = [
        Life(i, JournalPhone(server.url, rep["token"]), rep, stages) for i, rep in enumerate(reps)
    ]
    threads = [threading.Thread(target=life.run) for life in lives]
    for t in threads:
        t.start()
    try:
        wait_all(stages.synced, lives)
        old_epoch = lives[0].phone.epoch
        archive = harness_child(db, "backup")["path"]  # mid-stream: the phones keep syncing
        stages.backed_up.set()
        wait_all(stages.acked, lives)  # each has work acknowledged that the backup lacks
        stages.down.set()
        server.stop()
        restored = harness_child(db, "restore", archive)
        assert restored["epoch"] != old_epoch
        probe_token = restored["tokens"][reps[0]["username"]]
        for life in lives:  # the reps log in again
            life.phone.token = restored["tokens"][life.rep["username"]]
        server.start()
        stages.restored.set()
    finally:
        for t in threads:
            t.join(300)
    for life in lives:
        assert life.error is None, life.error

    # What the protocol says to a phone of the old epoch: nothing applied, start over.
    probe = visit_op(reps[0]["accounts"][0], reps[0]["box"])
    status, body = http(
        "POST", f"{server.url}/api/v1/sync/push", probe_token,
        {"epoch": old_epoch, "mutations": [probe]},
    )  # fmt: skip
    assert (status, body["code"], body["epoch"]) == (409, "epoch_changed", restored["epoch"])
    assert check_oracle(db, [probe]).lost == 1, "a push of the old epoch applied something"
    status, body = http(
        "GET", f"{server.url}/api/v1/sync/pull?cursor=5&epoch={old_epoch}", probe_token
    )  # fmt: skip
    assert status == 200 and body["epoch_changed"] and (body["cursor"], body["more"]) == (0, True)
    assert body["changes"] == {}

    for life in lives:
        life.phone.sync()  # settled: nothing left to send
        phone = life.phone
        assert phone.epoch == restored["epoch"] and phone.epochs_met == 1
        assert not phone.outbox and all(e["epoch"] == phone.epoch for e in phone.journal)

    # Exactly once, every create of every phone.
    creates = [m for life in lives for m in life.creates]
    tally = check_oracle(db, creates)
    assert (tally.lost, tally.duplicated, tally.half_saved) == (0, 0, 0), tally
    assert tally.applied == len(creates), tally
    for life in lives:
        answers = life.phone.answers
        # Sent again after the restore: "already applied" where the backup had it, applied
        # (a second time, once on each side of the restore) where it did not.
        assert all(answers[m["op_id"]][-1] == "already_applied" for m in life.first), answers
        assert answers[life.prospect["op_id"]] == ["applied", "applied"]
        assert life.phone.view["accounts"][life.prospect["id"]]["phone"] == "offline"
        # Each phone's view is a fresh phone's full pull.
        fresh = Phone(server.url, restored["tokens"][life.rep["username"]])
        fresh.pull()
        plurals = set(life.phone.view) | set(fresh.view)
        mine = {k: life.phone.view.get(k, {}) for k in plurals}
        assert mine == {k: fresh.view.get(k, {}) for k in plurals}
    assert len(creates) >= PHONES * 4
    resent = [s for life in lives for s in life.phone.answers.values() if len(s) > 1]
    print(  # the figures, for -s runs and the bench's notes
        f"\n{PHONES} phones: {len(creates)} creates, each once; sent again after the restore: "
        f"{sum(s[-1] == 'already_applied' for s in resent)} already applied, "
        f"{sum(s[-2:] == ['applied', 'applied'] for s in resent)} applied again"
    )
