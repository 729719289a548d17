"""Issue 7, server side: the sync under faults, against a real gunicorn in its own process.

Oracle everywhere: one server row per client UUID; nothing half-saved (a logged visit never
without its visit activity, no claim without its row); the replayed or retried outbox converges.
The scenarios themselves live in tests/harness/scenarios.py, so bench/sync_faults.py runs the
same ones at full size. Browser scenarios (5, 11, 12): tests/browser/test_sync_faults.py.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import time
from pathlib import Path

import pytest

from tests.harness import scenarios
from tests.harness.database import drop_database, fresh_database
from tests.harness.env import harness_child
from tests.harness.ops import iso, note_op, prospect_op, visit_op
from tests.harness.oracle import check_oracle

BASE_URL = os.environ.get("DATABASE_URL", "spatialite:///unused.db")
# make test sizes; the bench runs the full sizes.
LOST_PUSHES = 40
KILL_RUNS = 3
INTERLEAVINGS = int(os.environ.get("FIELDCRM_FAULT_CASES", "50"))


@pytest.fixture(scope="module")
def live():
    """A fresh seeded database and gunicorn (2 workers) serving it; stopped at the end."""
    with (
        tempfile.TemporaryDirectory(prefix="fieldcrm-faults-") as tmp,
        scenarios.serving(BASE_URL, Path(tmp)) as live,
    ):
        yield live


def test_1_lost_answers_after_commit_store_each_item_once(live):
    scenarios.lost_answers_after_commit(live, pushes=LOST_PUSHES)


def test_2_the_same_batch_pushed_twice_at_once(live):
    scenarios.same_batch_pushed_twice_at_once(live, rounds=2)


def test_3_one_invalid_item_in_fifty(live):
    scenarios.one_invalid_item_in_fifty(live)


def test_3_a_create_reusing_an_id_out_of_scope_is_rejected_alone(live):
    scenarios.id_taken_out_of_scope_rejected_alone(live)


def test_4_server_killed_mid_batch_then_replayed(live):
    db, world, server = live
    rng = random.Random(4)
    everything = []
    for run in range(KILL_RUNS):
        tally = scenarios.kill_mid_batch(db, server, world["reps"][1], rng, size=40)
        everything += tally.pop("ops")
        assert tally["mid_batch"], f"run {run}: the kill landed outside the batch"
        assert tally["all_or_nothing"], tally
        assert tally["half_saved_after_kill"] == 0, tally
        assert tally["views_equal"], "after the replay the phone differs from a fresh pull"
    scenarios.assert_clean(check_oracle(db, everything), len(everything))


def test_8_edit_conflicts_merge_or_surface(live):
    scenarios.edit_conflicts_merge_or_surface(live)


def test_9_a_deleted_record_stays_deleted_after_a_fresh_install(live):
    scenarios.deleted_record_stays_deleted_after_a_fresh_install(live)


def test_10_an_account_leaving_the_territory_is_removed_and_its_edit_rejected(live):
    scenarios.account_leaving_the_territory_is_removed_and_its_edit_rejected(live)


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
            visit_op(str(shops[step % 3].pk), box, when=phone_now - dt.timedelta(hours=1)),
            prospect_op(box),
            note_op(str(shops[(step + 1) % 3].pk)),
        ]
        ops[2]["fields"]["occurred_at"] = iso(phone_now)
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


def test_7_interleaved_writers_never_make_a_pull_skip(live):
    """Property-based (hypothesis) schedules of begin/write/commit/rollback on several
    connections while a client pulls in a loop, on a database of its own."""
    fresh, _ = fresh_database(BASE_URL, live.db.workdir)
    try:
        started = time.monotonic()
        report = harness_child(fresh, "interleave", str(INTERLEAVINGS), timeout=300, check=False)
        assert report["cases"] >= INTERLEAVINGS and report["failures"] == 0, report
        assert report["pulls"] > report["cases"], report
        assert report["late"] > 0, report  # late-numbered transactions among them (issue 22)
        assert time.monotonic() - started < 120
    finally:
        drop_database(fresh)
