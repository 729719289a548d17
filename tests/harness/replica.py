"""Pulls from a lagging PostgreSQL replica (issue 22): pushes on the primary interleaved with
pulls on a hot standby whose replay is paused and resumed at random.

Two servers share the one database: ``replicated`` (pulls read the standby) and ``primary``
(no replica configured: as a phone that was answered by the primary, or by a process not yet
given the replica). Phones push to either and pull from either, so some phones' cursors run
ahead of the paused standby. Invariants checked at every step: a phone's cursor never moves
back (no row sent twice because the replica was behind) and a pull never skips a row (after
the standby catches up, every phone's view equals a fresh pull from the primary); the oracle
counts 0 lost, 0 doubled, nothing half-saved.
"""

from __future__ import annotations

import contextlib
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from tests.harness.database import (
    Database,
    Standby,
    drop_database,
    fresh_database,
    postgis_primary_and_standby,
)
from tests.harness.ops import mixed_ops
from tests.harness.oracle import Tally, check_oracle
from tests.harness.phone import SETTLED, Phone
from tests.harness.server import Server


class Replicated(NamedTuple):
    db: Database
    world: dict[str, Any]
    standby: Standby
    replicated: Server  # pulls read the standby
    primary: Server  # reads and writes the primary


@contextlib.contextmanager
def serving_replicated(reps: int = 3, accounts: int = 3) -> Iterator[Replicated]:
    """A primary and a hot standby, a seeded database on them, and the two servers."""
    with (
        tempfile.TemporaryDirectory(prefix="fieldcrm-replica-") as tmp,
        postgis_primary_and_standby() as (url, standby),
    ):
        db, world = fresh_database(url, Path(tmp), reps=reps, accounts=accounts)
        standby.catch_up(db)
        replicated = Server(db, workers=1, FIELDCRM_DATABASE_REPLICA_URL=standby.url_of(db))
        primary = Server(db, workers=1)
        try:
            replicated.start()
            primary.start()
            yield Replicated(db, world, standby, replicated, primary)
        finally:
            replicated.stop()
            primary.stop()
            drop_database(db)


def view_of(phone: Phone) -> dict[str, dict[str, dict]]:
    """The phone's records, whole (so a stale version would show)."""
    return {plural: rows for plural, rows in phone.view.items() if rows}


def pulls_on_a_lagging_replica(live: Replicated, steps: int, seed: int) -> dict[str, Any]:
    """Random pushes, pulls (on either server) and replay pauses; then the checks."""
    rng = random.Random(seed)
    urls = {"replicated": live.replicated.url, "primary": live.primary.url}
    phones = [(rep, Phone(live.replicated.url, rep["token"])) for rep in live.world["reps"]]
    creates: list[dict] = []
    paused = False
    stats = {"pauses": 0, "lagging_answers": 0, "pushes": 0, "pulls": 0}
    for _ in range(steps):
        roll = rng.random()
        rep, phone = rng.choice(phones)
        if roll < 0.15:
            if paused:
                live.standby.resume_replay()
            else:
                live.standby.pause_replay()
                stats["pauses"] += 1
            paused = not paused
        elif roll < 0.55:
            batch = mixed_ops(rep, rng.randint(1, 4), rng)
            creates += [m for m in batch if m["action"] == "create"]
            phone.server = urls[rng.choice(list(urls))]
            results = phone.push(batch)
            assert all(r["status"] in SETTLED for r in results), results
            stats["pushes"] += 1
        else:
            phone.server = urls[rng.choice(list(urls))]
            before = phone.cursor
            primary_counter = live.db.scalar("SELECT value FROM core_changecounter")
            phone.pull()
            stats["pulls"] += 1
            assert phone.cursor >= before, f"cursor stepped back: {before} -> {phone.cursor}"
            if phone.cursor < primary_counter:
                stats["lagging_answers"] += 1  # answered by the paused standby
    if paused:
        live.standby.resume_replay()
    live.standby.catch_up(live.db)
    for _rep, phone in phones:
        phone.server = live.replicated.url
        phone.pull()
    tally: Tally = check_oracle(live.db, creates)
    differs = []
    for rep, phone in phones:
        fresh = Phone(live.primary.url, rep["token"])
        fresh.pull()
        if view_of(fresh) != view_of(phone):
            differs.append(rep["username"])
    return {"tally": tally, "differs": differs, "sent": len(creates), **stats}
