"""Pulls served by a PostgreSQL streaming replica (issue 22), against a real primary, a hot
standby made by ``pg_basebackup -R`` and gunicorn: pushes on the primary interleaved with
pulls on the standby while its replay is paused and resumed (tests/harness/replica.py).
More steps: FIELDCRM_REPLICA_STEPS=1000.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.harness import replica
from tests.harness.ops import visit_op
from tests.harness.phone import Phone, http

STEPS = int(os.environ.get("FIELDCRM_REPLICA_STEPS", "60"))
pytestmark = pytest.mark.postgis


@pytest.fixture(scope="module")
def live():
    if not os.environ.get("DATABASE_URL", "").startswith("postgis"):
        pytest.skip("PostgreSQL streaming replication: PostGIS only")
    with replica.serving_replicated() as live:
        yield live


def test_a_paused_replica_answers_from_its_snapshot_and_catches_up(live):
    rep = live.world["reps"][0]
    phone = Phone(live.replicated.url, rep["token"])
    phone.pull()
    live.standby.pause_replay()
    try:
        visit = visit_op(rep["accounts"][0], rep["box"])
        assert phone.push([visit])[0]["status"] == "applied"
        cursor = phone.cursor
        assert phone.pull()["changes"] == {}  # the standby has not replayed it yet
        assert phone.cursor == cursor
    finally:
        live.standby.resume_replay()
    live.standby.catch_up(live.db)
    phone.pull()
    assert visit["id"] in phone.view["visits"]


def test_a_cursor_ahead_of_the_replica_is_answered_by_the_primary(live):
    rep = live.world["reps"][1]
    ahead = Phone(live.primary.url, rep["token"])
    live.standby.pause_replay()
    try:
        visit = visit_op(rep["accounts"][0], rep["box"])
        assert ahead.push([visit])[0]["status"] == "applied"
        ahead.pull()  # from the primary: its cursor is now past the paused standby
        seen = ahead.cursor
        assert seen == live.db.scalar("SELECT value FROM core_changecounter")  # the primary's
        ahead.server = live.replicated.url
        ahead.pull()  # the standby is behind this cursor: the primary answers
        assert ahead.cursor >= seen
        assert visit["id"] in ahead.view["visits"]
    finally:
        live.standby.resume_replay()


def test_pushes_on_the_primary_and_pulls_on_a_lagging_replica_lose_and_double_nothing(live):
    out = replica.pulls_on_a_lagging_replica(live, steps=STEPS, seed=22)
    tally = out["tally"]
    assert (tally.sent, tally.applied) == (out["sent"], out["sent"]), tally
    assert (tally.lost, tally.duplicated, tally.half_saved) == (0, 0, 0), tally
    assert out["differs"] == [], out
    assert out["pauses"] > 0 and out["lagging_answers"] > 0, out  # the replica did lag


def test_after_a_restore_a_stale_replica_answers_nothing_until_it_serves_the_new_epoch(live):
    # Last in the module: it gives the primary a new epoch, as a restore does. The standby is
    # paused, so it goes on showing the old epoch and rows, as one not yet re-seeded does.
    rep = live.world["reps"][2]
    pull = f"{live.replicated.url}/api/v1/sync/pull?cursor="
    status, before = http("GET", f"{live.primary.url}/api/v1/sync/pull?cursor=0", rep["token"])
    assert status == 200
    old, cursor = before["epoch"], before["cursor"]
    live.standby.catch_up(live.db)
    live.standby.pause_replay()
    try:
        new = str(uuid.uuid4())
        live.db.query("UPDATE core_syncepoch SET value = %s RETURNING id", (new,))
        # A phone that has not met the restore learns of it (the stale replica would say
        # "nothing new" in the old epoch, for as long as it is not re-seeded).
        status, body = http("GET", f"{pull}{cursor}&epoch={old}", rep["token"])
        assert (status, body["epoch"], body.get("epoch_changed")) == (200, new, True)
        # A phone that names no epoch, or the new one, is told the new one, with the rows.
        for query in (f"{pull}0", f"{pull}0&epoch={new}"):
            status, body = http("GET", query, rep["token"])
            assert (status, body["epoch"], body["epoch_changed"]) == (200, new, False)
            assert body["changes"]["accounts"]
        status, today = http("GET", f"{live.replicated.url}/api/v1/sync/today", rep["token"])
        assert (status, today["epoch"]) == (200, new)
    finally:
        live.standby.resume_replay()
    live.standby.catch_up(live.db)
    assert live.standby.sql("SELECT 1") == [(1,)]
    status, body = http("GET", f"{pull}{cursor}&epoch={new}", rep["token"])
    assert (status, body["epoch"]) == (200, new)
