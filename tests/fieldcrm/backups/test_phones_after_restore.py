"""Issue 23, phones after a restore, with real processes on the suite's database backend.

Twelve phones (``JournalPhone``: the phone app's sync over HTTP) log visits, prospects and
notes against a real gunicorn; a backup is taken; they go on (acknowledged work the backup
lacks); the database is replaced by the restore (the server stopped, restored through the
backups services, started again, as the README says); the phones meanwhile queue more offline,
including an edit of a prospect the restore took away. Then they log in again and sync: each
meets the new epoch, sends its journal again before its outbox, pulls from zero. At the end
every record any phone created is on the server exactly once, and each phone's view equals a
fresh phone's full pull.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import pytest

from tests.harness import scenarios
from tests.harness.database import drop_database, fresh_database
from tests.harness.env import harness_child
from tests.harness.ops import mixed_ops, prospect_op, visit_op
from tests.harness.oracle import check_oracle
from tests.harness.phone import Phone, http
from tests.harness.restore import JournalPhone
from tests.harness.scenarios import edit
from tests.harness.server import Server

BASE_URL = os.environ.get("DATABASE_URL", "spatialite:///unused.db")
PHONES = 12


@pytest.fixture(scope="module")
def live():
    with tempfile.TemporaryDirectory(prefix="fieldcrm-restore-") as tmp:
        db, world = fresh_database(BASE_URL, Path(tmp), reps=PHONES)
        try:
            with Server(db) as server:
                yield scenarios.Live(db, world, server)
        finally:
            drop_database(db)


def test_phones_resend_what_the_restore_lost_and_end_with_the_servers_view(live):
    db, world, server = live
    rng = random.Random(23)
    reps = world["reps"]
    phones = [JournalPhone(server.url, rep["token"]) for rep in reps]
    creates: list[dict] = []

    def queue(phone, ops):
        phone.outbox += ops
        creates.extend(m for m in ops if m["action"] == "create")

    # Before the backup: every phone's first work, acknowledged.
    for phone, rep in zip(phones, reps, strict=True):
        queue(phone, mixed_ops(rep, 4, rng))
        phone.sync()
    before_backup = {m["op_id"] for m in creates}
    old_epoch = phones[0].epoch
    assert old_epoch and {p.epoch for p in phones} == {old_epoch}
    archive = harness_child(db, "backup")["path"]

    # After the backup: more work, acknowledged; the backup will not have it.
    prospects = {}
    for phone, rep in zip(phones, reps, strict=True):
        prospects[id(phone)] = prospect_op(rep["box"], rng)
        queue(phone, [*mixed_ops(rep, 3, rng), prospects[id(phone)]])
        phone.sync()
    assert not any(p.outbox for p in phones)
    after_backup = {m["op_id"] for m in creates} - before_backup

    # The disaster and the restore. Meanwhile the phones work offline: a visit each, and an
    # edit of the prospect they found after the backup (only their journal can bring it back).
    server.stop()
    restored = harness_child(db, "restore", archive)
    server.start()
    assert restored["epoch"] != old_epoch
    for phone, rep in zip(phones, reps, strict=True):
        created = prospects[id(phone)]
        queue(phone, [visit_op(rep["accounts"][0], rep["box"], rng=rng)])
        phone.outbox.append(edit(created["id"], 1, phone=("", "after-restore")))

    # The old tokens died with the restore (refused: that settles nothing); the reps log in again.
    with pytest.raises(Exception, match="40[13]"):
        phones[0].sync()
    assert phones[0].epoch == old_epoch and len(phones[0].outbox) == 2
    for phone, rep in zip(phones, reps, strict=True):
        phone.token = restored["tokens"][rep["username"]]

    # What the protocol says to a phone of the old epoch, before any phone has synced again.
    probe = visit_op(reps[0]["accounts"][0], reps[0]["box"])
    status, body = http(
        "POST", f"{server.url}/api/v1/sync/push", phones[0].token,
        {"epoch": old_epoch, "mutations": [probe]},
    )  # fmt: skip
    assert (status, body["code"], body["epoch"]) == (409, "epoch_changed", restored["epoch"])
    assert check_oracle(db, [probe]).lost == 1, "a push of the old epoch applied something"
    status, body = http(
        "GET", f"{server.url}/api/v1/sync/pull?cursor={phones[0].cursor}&epoch={old_epoch}",
        phones[0].token,
    )  # fmt: skip
    assert status == 200 and body["epoch_changed"] and body["cursor"] == 0 and body["more"]
    assert body["changes"] == {}

    for phone in phones:
        phone.sync()
    for phone in phones:
        phone.sync()  # settled: nothing more to send, nothing new to pull
        assert phone.epoch == restored["epoch"] and phone.epochs_met == 1
        assert not phone.outbox and all(e["epoch"] == phone.epoch for e in phone.journal)

    # Exactly once: the backup's own items were answered "already applied", the rest applied.
    tally = check_oracle(db, creates)
    assert (tally.lost, tally.duplicated, tally.half_saved) == (0, 0, 0), tally
    assert tally.applied == len(creates), tally
    answers = {op: statuses for p in phones for op, statuses in p.answers.items()}
    assert all(answers[op][-1] == "already_applied" for op in before_backup)
    assert all(answers[op] == ["applied", "applied"] for op in after_backup)
    # The edit queued offline found its prospect (re-sent from the journal just before it).
    for phone in phones:
        assert phone.view["accounts"][prospects[id(phone)]["id"]]["phone"] == "after-restore"
    # Each phone's view is a fresh phone's full pull.
    for phone, rep in zip(phones, reps, strict=True):
        fresh = Phone(server.url, restored["tokens"][rep["username"]])
        fresh.pull()
        plurals = set(phone.view) | set(fresh.view)
        assert {k: phone.view.get(k, {}) for k in plurals} == {
            k: fresh.view.get(k, {}) for k in plurals
        }
    assert not server.errors_logged()
