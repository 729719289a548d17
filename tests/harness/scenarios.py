"""The server-side fault scenarios of issue 7, at any size, against a live server.

Each takes a ``Live`` (a seeded database, its world and gunicorn serving it) and asserts the
oracle; ``tests/fieldcrm/sync/test_faults.py`` runs them at ``make test`` sizes and
``bench/sync_faults.py`` at full size. Scenario 6 (clocks) lives in ``clocks.py`` and 7
(interleavings) in ``interleave.py``: both run in a child process of their own.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from tests.harness.database import Database, drop_database, fresh_database
from tests.harness.ops import mixed_ops, op, prospect_op, visit_op
from tests.harness.oracle import Tally, check_oracle, stored_uuid
from tests.harness.phone import Phone, Transient, http, send_and_hang_up
from tests.harness.server import Server


class Live(NamedTuple):
    db: Database
    world: dict[str, Any]
    server: Server


@contextlib.contextmanager
def serving(base_url: str, workdir: Path, **server_env: str) -> Iterator[Live]:
    """A fresh seeded database and gunicorn (2 workers) serving it; stopped and dropped after."""
    db, world = fresh_database(base_url, workdir)
    server = Server(db, **server_env)
    try:
        server.start()
        yield Live(db, world, server)
    finally:
        server.stop()
        drop_database(db)


def phone(live: Live, rep: dict) -> Phone:
    return Phone(live.server.url, rep["token"])


def assert_clean(tally: Tally, sent: int, rejected: int = 0) -> None:
    assert (tally.sent, tally.applied, tally.rejected) == (sent, sent - rejected, rejected), tally
    assert (tally.duplicated, tally.lost, tally.half_saved) == (0, 0, 0), tally


def lost_answers_after_commit(live: Live, pushes: int) -> None:
    """1: answers lost after the commit (or the phone hung up): the retry stores each once."""
    db, world, server = live
    rep = world["reps"][0]
    p = phone(live, rep)
    sent = mixed_ops(rep, pushes, random.Random(1))
    for i, mutation in enumerate(sent):
        if i % 2:
            # The server answered after committing; the answer never reached the phone.
            assert p.push([mutation])[0]["status"] == "applied"
        else:
            # The phone hung up mid-request: the server may still be working on it.
            send_and_hang_up(server.url, rep["token"], {"mutations": [mutation]})
    p.outbox = list(sent)  # nothing was settled on the phone: it retries everything
    p.drain(batch=25)
    statuses = [p.results[m["op_id"]]["status"] for m in sent]
    assert set(statuses) <= {"applied", "already_applied"}
    assert statuses[1::2] == ["already_applied"] * (len(sent) // 2)
    assert_clean(check_oracle(db, sent), len(sent))
    assert all(code == 200 for code in p.statuses)
    assert not (errors := server.errors_logged()), errors


def same_batch_pushed_twice_at_once(live: Live, rounds: int) -> None:
    """2: two tabs push the same batch at the same instant: one applies, one is answered."""
    db, world, server = live
    rep = world["reps"][0]
    rng = random.Random(2)
    everything = []
    for _ in range(rounds):
        batch = mixed_ops(rep, 50, rng)
        everything += batch
        tabs = [phone(live, rep), phone(live, rep)]
        answers: list = [None, None]
        start = threading.Barrier(2)

        def push(i, tabs=tabs, answers=answers, start=start, batch=batch):
            start.wait()
            answers[i] = tabs[i].push(batch)

        threads = [threading.Thread(target=push, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert all(a is not None for a in answers), "a push failed (5xx or network)"
        for first, second in zip(*answers, strict=True):
            assert {first["status"], second["status"]} == {"applied", "already_applied"}, (
                first,
                second,
            )
            assert first["id"] == second["id"]
    assert_clean(check_oracle(db, everything), len(everything))
    assert not (errors := server.errors_logged()), errors


def one_invalid_item_in_fifty(live: Live) -> dict:
    """3: one invalid item in a batch of 50 is rejected alone, the same way when re-sent.
    Returns the rejected op."""
    db, world, _server = live
    rep = world["reps"][0]
    batch = mixed_ops(rep, 50, random.Random(3))
    bad = visit_op(rep["accounts"][0], rep["box"])
    bad["fields"]["outcome"] = "gossip"
    batch[17] = bad
    p = phone(live, rep)
    p.outbox = list(batch)
    p.drain(batch=50)
    assert p.outbox == []  # the rejection settles it: nothing is re-sent on its own
    results = [p.results[m["op_id"]] for m in batch]
    assert [r["status"] for r in results].count("applied") == 49
    rejected = results[17]
    assert rejected["status"] == "rejected"
    assert [e["field"] for e in rejected["errors"]] == ["outcome"]
    assert_clean(check_oracle(db, batch, expect_rejected={bad["op_id"]}), 50, rejected=1)
    # Pushed again (another device, a restored backup): the same answers, nothing re-applied.
    again = p.push(batch)
    assert [r["status"] for r in again].count("already_applied") == 49
    assert again[17]["status"] == "rejected" and again[17]["errors"] == rejected["errors"]
    assert_clean(check_oracle(db, batch, expect_rejected={bad["op_id"]}), 50, rejected=1)
    return bad


def id_taken_out_of_scope_rejected_alone(live: Live) -> None:
    """3: a create reusing an id another rep's record holds is rejected, its batch applies."""
    db, world, server = live
    rep1, rep2 = world["reps"][0], world["reps"][1]
    taken = prospect_op(rep1["box"])
    assert phone(live, rep1).push([taken])[0]["status"] == "applied"
    # rep2's phone reuses that id (a bug, a restored backup of another phone, mischief).
    clash = prospect_op(rep2["box"])
    clash["id"] = taken["id"]
    good = prospect_op(rep2["box"])
    p = phone(live, rep2)
    results = p.push([clash, good])
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert [e["field"] for e in results[0]["errors"]] == ["id"]
    assert p.push([clash])[0]["status"] == "rejected"
    assert_clean(check_oracle(db, [taken, good]), 2)
    assert not (errors := server.errors_logged()), errors


def kill_mid_batch(db: Database, server: Server, rep: dict, rng: random.Random, size: int = 60):
    """4: push a batch; SIGKILL gunicorn at a random moment while the batch's transaction is
    open; count what is half-saved; restart; replay the whole outbox. The caller asserts on
    the figures returned."""
    ops = mixed_ops(rep, size, rng)
    ids = tuple(stored_uuid(m["op_id"], db) for m in ops)
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


def edit_conflicts_merge_or_surface(live: Live) -> None:
    """8: edits of different fields merge; the same field changed twice is one conflict."""
    rep = live.world["reps"][0]
    a, b = phone(live, rep), phone(live, rep)
    create = prospect_op(rep["box"])
    a.outbox = [create]
    a.drain()
    a.pull()
    b.pull()
    pk = create["id"]
    base = b.view["accounts"][pk]
    assert base["version"] == a.view["accounts"][pk]["version"]
    # Different fields, both offline on the same version: both apply.
    a_phone = edit(pk, base["version"], phone=(base["phone"], "111"))
    b_address = edit(pk, base["version"], address=(base["address"], "Main St 1"))
    assert a.push([a_phone])[0]["status"] == "applied"
    merged = b.push([b_address])[0]
    assert merged["status"] == "applied"
    assert (merged["record"]["phone"], merged["record"]["address"]) == ("111", "Main St 1")
    # The same field, differently, from copies of the same version: one conflict.
    a.pull()
    b.pull()
    version = a.view["accounts"][pk]["version"]
    first = edit(pk, version, phone=("111", "from-A"))
    second = edit(pk, version, phone=("111", "from-B"))
    assert a.push([first])[0]["status"] == "applied"
    clash = b.push([second])[0]
    assert clash["status"] == "conflict"
    assert clash["conflicts"] == [{"field": "phone", "server": "from-A", "yours": "from-B"}]
    assert b.push([second])[0]["status"] == "already_applied"  # answered, not re-recorded
    a.pull()
    b.pull()
    notes = [
        x for x in b.view["activities"].values() if x["account_id"] == pk and x["kind"] == "system"
    ]
    assert len(notes) == 1, notes
    assert "from-A" in notes[0]["body"] and "from-B" in notes[0]["body"]
    assert a.view["accounts"][pk] == b.view["accounts"][pk]
    assert b.view["accounts"][pk]["phone"] == "from-A"


def edit(pk: str, version: int, **changes: tuple[Any, Any]) -> dict[str, Any]:
    """An account edit based on ``version``: field=(old, new) per changed field."""
    return op(
        "account",
        "update",
        pk,
        base_version=version,
        changes={name: {"old": old, "new": new} for name, (old, new) in changes.items()},
    )


def deleted_record_stays_deleted_after_a_fresh_install(live: Live) -> None:
    """9: a contact the rep creates and deletes; an account the manager creates and deletes."""
    db, world, server = live
    rep = world["reps"][0]
    old = phone(live, rep)
    old.pull()
    p, office = phone(live, rep), Phone(server.url, world["manager"])
    contact = op(
        "contact", "create", fields={"account_id": rep["accounts"][0], "name": "Short-lived"}
    )
    account = prospect_op(rep["box"])
    p.outbox, office.outbox = [contact], [account]
    p.drain()
    office.drain()
    p.pull()
    old.pull()
    assert contact["id"] in p.view["contacts"] and account["id"] in old.view["accounts"]
    p.outbox = [op("contact", "delete", contact["id"])]
    office.outbox = [op("account", "delete", account["id"])]
    p.drain()
    office.drain()
    assert {r["status"] for r in [*p.results.values(), *office.results.values()]} == {"applied"}
    p.pull()
    old.pull()
    fresh = phone(live, rep)
    merged = fresh.pull(limit=7)  # small pages: the tombstone must not hide in a page edge
    for device in (p, old, fresh):  # the tombstones reached the older device too
        assert contact["id"] not in device.view.get("contacts", {})
        assert account["id"] not in device.view.get("accounts", {})
    assert account["id"] not in {a["id"] for a in merged["changes"]["accounts"]}
    assert fresh.view["accounts"] == p.view["accounts"] == old.view["accounts"]
    assert fresh.view.get("contacts", {}) == p.view.get("contacts", {}) == old.view["contacts"]
    assert check_oracle(db, [contact, account]).applied == 2  # still there, as tombstones


def account_leaving_the_territory_is_removed_and_its_edit_rejected(live: Live) -> None:
    """10: the office moves an account out of rep1's territory while rep1 edits it offline."""
    _db, world, server = live
    rep1, rep2 = world["reps"][0], world["reps"][1]
    p1, p2 = phone(live, rep1), phone(live, rep2)
    create = prospect_op(rep1["box"])  # the office's account: in rep1's territory, no owner
    office = Phone(server.url, world["manager"])
    office.outbox = [create]
    office.drain()
    p1.pull()
    p2.pull()
    pk = create["id"]
    assert pk in p1.view["accounts"] and pk not in p2.view.get("accounts", {})
    pending = edit(pk, p1.view["accounts"][pk]["version"], phone=("", "555"))
    box2 = rep2["box"]
    status, body = http(
        "PATCH",
        f"{server.url}/api/v1/accounts/{pk}",
        world["admin"],
        {"location": {"lat": (box2[1] + box2[3]) / 2, "lng": (box2[0] + box2[2]) / 2}},
    )
    assert status == 200, body
    p1.outbox = [pending]
    p1.drain()
    result = p1.results[pending["op_id"]]
    assert result["status"] == "rejected"
    assert [e["field"] for e in result["errors"]] == ["id"]
    merged = p1.pull()
    assert merged["removed"] == {"accounts": [pk]}
    assert pk not in p1.view["accounts"]
    p2.pull()
    assert p2.view["accounts"][pk]["phone"] == ""  # the edit was not applied
    assert not (errors := server.errors_logged()), errors
