"""Issue 7, server side: the sync under faults, against a real gunicorn in its own process.

Oracle everywhere: one server row per client UUID; nothing half-saved (a logged visit never
without its visit activity, no claim without its row); the replayed or retried outbox converges.
Full-size runs: bench/sync_faults.py. Browser scenarios (5, 11, 12): tests/browser.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.fieldcrm.sync import faultkit as fk

BASE_URL = os.environ.get("DATABASE_URL", "spatialite:///unused.db")
# make test sizes; the bench runs the full sizes.
LOST_PUSHES = 40
KILL_RUNS = 3
INTERLEAVINGS = int(os.environ.get("FIELDCRM_FAULT_CASES", "50"))


@pytest.fixture(scope="module")
def live():
    """A fresh seeded database and gunicorn (2 workers) serving it; stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="fieldcrm-faults-") as tmp:
        db, world = fk.fresh_database(BASE_URL, Path(tmp))
        server = fk.Server(db)
        server.start()
        try:
            yield db, world, server
        finally:
            server.stop()
            fk.drop_database(db)


def phone(server, rep) -> fk.Phone:
    return fk.Phone(server.url, rep["token"])


def assert_clean(tally: fk.Tally, sent: int, rejected: int = 0) -> None:
    assert (tally.sent, tally.applied, tally.rejected) == (sent, sent - rejected, rejected), tally
    assert (tally.duplicated, tally.lost, tally.half_saved) == (0, 0, 0), tally


def test_1_lost_answers_after_commit_store_each_item_once(live):
    db, world, server = live
    rep = world["reps"][0]
    rng = random.Random(1)
    p = phone(server, rep)
    sent = fk.mixed_ops(rep, LOST_PUSHES, rng)
    for i, mutation in enumerate(sent):
        if i % 2:
            # The server answered after committing; the answer never reached the phone.
            assert p.push([mutation])[0]["status"] == "applied"
        else:
            # The phone hung up mid-request: the server may still be working on it.
            fk.send_and_hang_up(server.url, rep["token"], {"mutations": [mutation]})
    p.outbox = list(sent)  # nothing was settled on the phone: it retries everything
    p.drain(batch=25)
    statuses = [p.results[m["op_id"]]["status"] for m in sent]
    assert set(statuses) <= {"applied", "already_applied"}
    assert statuses[1::2] == ["already_applied"] * (len(sent) // 2)
    assert_clean(fk.check_oracle(db, sent), len(sent))
    assert all(code == 200 for code in p.statuses)
    assert not server.errors_logged()


def test_2_the_same_batch_pushed_twice_at_once(live):
    db, world, server = live
    rep = world["reps"][0]
    rng = random.Random(2)
    everything = []
    for _ in range(2):
        batch = fk.mixed_ops(rep, 50, rng)
        everything += batch
        tabs = [phone(server, rep), phone(server, rep)]
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
    assert_clean(fk.check_oracle(db, everything), len(everything))
    assert not server.errors_logged()


def test_3_one_invalid_item_in_fifty(live):
    db, world, server = live
    rep = world["reps"][0]
    batch = fk.mixed_ops(rep, 50, random.Random(3))
    bad = fk.visit_op(rep["accounts"][0], rep["box"])
    bad["fields"]["outcome"] = "gossip"
    batch[17] = bad
    p = phone(server, rep)
    p.outbox = list(batch)
    p.drain(batch=50)
    assert p.outbox == []  # the rejection settles it: nothing is re-sent on its own
    results = [p.results[m["op_id"]] for m in batch]
    assert [r["status"] for r in results].count("applied") == 49
    rejected = results[17]
    assert rejected["status"] == "rejected"
    assert [e["field"] for e in rejected["errors"]] == ["outcome"]
    before = fk.check_oracle(db, batch, expect_rejected={bad["op_id"]})
    assert_clean(before, 50, rejected=1)
    # Pushed again (another device, a restored backup): the same answers, nothing re-applied.
    again = p.push(batch)
    assert [r["status"] for r in again].count("already_applied") == 49
    assert again[17]["status"] == "rejected" and again[17]["errors"] == rejected["errors"]
    assert_clean(fk.check_oracle(db, batch, expect_rejected={bad["op_id"]}), 50, rejected=1)


def test_3_a_create_reusing_an_id_out_of_scope_is_rejected_alone(live):
    db, world, server = live
    rep1, rep2 = world["reps"][0], world["reps"][1]
    taken = fk.prospect_op(rep1["box"])
    assert phone(server, rep1).push([taken])[0]["status"] == "applied"
    # rep2's phone reuses that id (a bug, a restored backup of another phone, mischief).
    clash = fk.prospect_op(rep2["box"])
    clash["id"] = taken["id"]
    good = fk.prospect_op(rep2["box"])
    p = phone(server, rep2)
    results = p.push([clash, good])
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert [e["field"] for e in results[0]["errors"]] == ["id"]
    assert p.push([clash])[0]["status"] == "rejected"
    assert_clean(fk.check_oracle(db, [taken, good]), 2)
    assert not server.errors_logged()


def test_4_server_killed_mid_batch_then_replayed(live):
    db, world, server = live
    rep = world["reps"][1]
    rng = random.Random(4)
    everything = []
    for run in range(KILL_RUNS):
        tally = fk.kill_mid_batch(db, server, rep, rng, size=40)
        everything += tally.pop("ops")
        assert tally["mid_batch"], f"run {run}: the kill landed outside the batch"
        assert tally["all_or_nothing"], tally
        assert tally["half_saved_after_kill"] == 0, tally
        assert tally["views_equal"], "after the replay the phone differs from a fresh pull"
    assert_clean(fk.check_oracle(db, everything), len(everything))


def test_8_edit_conflicts_merge_or_surface(live):
    db, world, server = live
    rep = world["reps"][0]
    a, b = phone(server, rep), phone(server, rep)
    create = fk.prospect_op(rep["box"])
    a.outbox = [create]
    a.drain()
    a.pull()
    b.pull()
    pk = create["id"]
    base = b.view["accounts"][pk]
    assert base["version"] == a.view["accounts"][pk]["version"]
    # Different fields, both offline on the same version: both apply.
    a_phone = fk.op(
        "account",
        "update",
        pk,
        base_version=base["version"],
        changes={"phone": {"old": base["phone"], "new": "111"}},
    )
    b_address = fk.op(
        "account",
        "update",
        pk,
        base_version=base["version"],
        changes={"address": {"old": base["address"], "new": "Main St 1"}},
    )
    assert a.push([a_phone])[0]["status"] == "applied"
    merged = b.push([b_address])[0]
    assert merged["status"] == "applied"
    assert (merged["record"]["phone"], merged["record"]["address"]) == ("111", "Main St 1")
    # The same field, differently, from copies of the same version: one conflict.
    a.pull()
    b.pull()
    version = a.view["accounts"][pk]["version"]
    first = fk.op(
        "account",
        "update",
        pk,
        base_version=version,
        changes={"phone": {"old": "111", "new": "from-A"}},
    )
    second = fk.op(
        "account",
        "update",
        pk,
        base_version=version,
        changes={"phone": {"old": "111", "new": "from-B"}},
    )
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


def test_9_a_deleted_record_stays_deleted_after_a_fresh_install(live):
    """A contact the rep creates and deletes; an account the manager creates and deletes."""
    db, world, server = live
    rep = world["reps"][0]
    old = phone(server, rep)
    old.pull()
    p, office = phone(server, rep), fk.Phone(server.url, world["manager"])
    contact = fk.op(
        "contact", "create", fields={"account_id": rep["accounts"][0], "name": "Short-lived"}
    )
    account = fk.prospect_op(rep["box"])
    p.outbox, office.outbox = [contact], [account]
    p.drain()
    office.drain()
    p.pull()
    old.pull()
    assert contact["id"] in p.view["contacts"] and account["id"] in old.view["accounts"]
    p.outbox = [fk.op("contact", "delete", contact["id"])]
    office.outbox = [fk.op("account", "delete", account["id"])]
    p.drain()
    office.drain()
    assert {r["status"] for r in [*p.results.values(), *office.results.values()]} == {"applied"}
    p.pull()
    old.pull()
    fresh = phone(server, rep)
    merged = fresh.pull(limit=7)  # small pages: the tombstone must not hide in a page edge
    for device in (p, old, fresh):  # the tombstones reached the older device too
        assert contact["id"] not in device.view.get("contacts", {})
        assert account["id"] not in device.view.get("accounts", {})
    assert account["id"] not in {a["id"] for a in merged["changes"]["accounts"]}
    assert fresh.view["accounts"] == p.view["accounts"] == old.view["accounts"]
    assert fresh.view.get("contacts", {}) == p.view.get("contacts", {}) == old.view["contacts"]
    assert fk.check_oracle(db, [contact, account]).applied == 2  # still there, as tombstones


def test_10_an_account_leaving_the_territory_is_removed_and_its_edit_rejected(live):
    db, world, server = live
    rep1, rep2 = world["reps"][0], world["reps"][1]
    p1, p2 = phone(server, rep1), phone(server, rep2)
    create = fk.prospect_op(rep1["box"])  # the office's account: in rep1's territory, no owner
    office = fk.Phone(server.url, world["manager"])
    office.outbox = [create]
    office.drain()
    p1.pull()
    p2.pull()
    pk = create["id"]
    assert pk in p1.view["accounts"] and pk not in p2.view.get("accounts", {})
    version = p1.view["accounts"][pk]["version"]
    # Offline, rep1 edits the account; meanwhile the office moves it into rep2's territory.
    pending = fk.op(
        "account", "update", pk, base_version=version, changes={"phone": {"old": "", "new": "555"}}
    )
    box2 = rep2["box"]
    status, body = fk.http(
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
    assert not server.errors_logged()


@pytest.mark.django_db
def test_6_skewed_clocks_skip_nothing(as_user, world):
    """Phone clocks ±24 h in the payloads, the server's clock stepped back an hour mid-day."""
    import time_machine

    from tests.factories import make_account
    from tests.fieldcrm.sync.test_sync import pull_all, push

    shops = [make_account(f"S{i}", lng=1.05, lat=42.05, status="customer") for i in range(3)]
    writer, reader = as_user("rep1"), as_user("rep1")
    box = [1.0, 42.0, 1.1, 42.1]
    view: dict = {}
    _, cursor = pull_all(reader)
    sent = []
    now = dt.datetime.now(dt.UTC)
    for step in range(12):
        skew = dt.timedelta(hours=24 * (1 if step % 3 == 0 else -1 if step % 3 == 1 else 0))
        phone_now = now + skew
        ops = [
            fk.visit_op(str(shops[step % 3].pk), box, when=phone_now - dt.timedelta(hours=1)),
            fk.prospect_op(box),
            fk.note_op(str(shops[(step + 1) % 3].pk)),
        ]
        ops[2]["fields"]["occurred_at"] = fk.iso(phone_now)
        server_now = now - dt.timedelta(hours=1) if step >= 6 else now  # stepped back mid-day
        with time_machine.travel(server_now + dt.timedelta(seconds=step), tick=True):
            results = push(writer, *ops)
            assert [r["status"] for r in results] == ["applied"] * 3, results
            sent += ops
            body, cursor = pull_all(reader, cursor)
            for plural, rows in body["changes"].items():
                for row in rows:
                    view.setdefault(plural, {})[row["id"]] = row
    for m in sent:
        plural = {"visit": "visits", "account": "accounts", "activity": "activities"}[m["entity"]]
        assert m["id"] in view.get(plural, {}), f"pull skipped {m['entity']} {m['id']}"
    full, _ = pull_all(as_user("rep1"))  # a fresh install agrees with the looping reader
    for plural in ("accounts", "visits", "activities", "tasks"):
        assert {r["id"] for r in full["changes"].get(plural, [])} == set(view.get(plural, {}))


def test_7_interleaved_writers_never_make_a_pull_skip(live, tmp_path):
    """Property-based (hypothesis) schedules of begin/write/commit/rollback on several
    connections while a client pulls in a loop, on a database of its own."""
    db, _world, _server = live
    fresh, _ = fk.fresh_database(BASE_URL, db.workdir)
    try:
        started = time.monotonic()
        out = subprocess.run(
            [fk.PY, "-m", "tests.fieldcrm.sync.faultkit", "interleave", str(INTERLEAVINGS)],
            cwd=fk.ROOT,
            env=fk.base_env(fresh.url, db.workdir),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-5000:])
        report = fk.json.loads(out.stdout.strip().splitlines()[-1])
        assert report["cases"] >= INTERLEAVINGS and report["failures"] == 0, report
        assert report["pulls"] > report["cases"], report
        assert time.monotonic() - started < 120
    finally:
        fk.drop_database(fresh)
