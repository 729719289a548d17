"""Where a sync request's time goes at team size (issue 22): a non-quiet pull and a push.

Run: .venv/bin/python bench/sync_profile.py [--smoke] [--reps 200] [--accounts 300]
     [--backend spatialite|postgis|both] [--profile]

Per backend, in a child process: ``--reps`` territories of ``--accounts`` customers each (one
rep each, written in bulk), then one round of traffic: every rep pushes 3 logged visits and a
note (real pushes through the API). Then, for the first rep:

- a pull from the cursor before that round (its own changes among everyone else's): server
  time (``Server-Timing``), the queries it ran, and each query's plan (PostGIS: EXPLAIN
  ANALYZE with its own time; SpatiaLite: EXPLAIN QUERY PLAN);
- a push of 100 logged visits by that rep (``--accounts`` in scope) and by a rep with 5
  accounts, in the same run: server time of each and their ratio (the aim: ≤ 1.5).

``--profile`` adds cProfile's top functions (cumulative) for the pull and the big push.

Measured 2026-12-01, this 2-core machine shared with other engineers' test runs (load average
3-5), 200 reps × 300 accounts, one round = 200 change numbers since the pull's cursor:
- before (scope rule as subqueries, only single-column change_seq indexes): pull p50 36.5 ms
  SpatiaLite, 22.1 ms PostGIS, 10 queries; on PostGIS the activities query read all 800
  activities changed since the cursor (everyone's) and tested each against the rep's scope:
  12.4 ms of EXPLAIN ANALYZE time, with a 3.8 ms plan; every other query under 0.3 ms.
- after (resolved scope, EXISTS by key, (scope key, change_seq) indexes): every entity's
  query ≤ 0.9 ms on PostGIS (activities 0.91 ms, accounts 0.08 ms through
  account_sync_territory, visits 0.12 ms through visit_sync_rep), 11 queries (the rep's
  territory ids are read once, first).
- push of 100 logged visits, scope 300 vs scope 5, same run: before 98.5 / 96.7 ms (ratio
  1.02) SpatiaLite, 141.0 / 134.5 ms (1.05) PostGIS; the statements are the same whatever
  the scope (tests/fieldcrm/sync/test_push_batches.py).

Measured 2026-12-03 13:33-13:40 UTC (issue 22: a push takes its change number late,
core.models.numbered_at_commit), PostGIS, 200 reps × 300 accounts, the machine shared (load
average 7-10: another session's whole test suite, browser walks, mypy), so absolute times are
3-5× a quiet run's; the two runs one after the other, ``--number-first`` giving the push's old
way (the counter taken first) with the same code otherwise:
- before (--number-first): push of 100 visits 687.9 ms (scope 300) vs 575.7 ms (scope 5),
  ratio 1.19; the change counter held 631.9 ms of it (92 %: the whole transaction);
- after: 417.8 ms vs 388.7 ms, ratio 1.07; the counter held 116.7 ms (28 %: the accounts'
  last visit, the 100 answers, the claims, the stamp and the commit);
- then with the accounts' last visit written when the number is taken (core.models.at_number),
  13:43-13:53 UTC, the same load plus this branch's own test run: after 397.9 ms vs 370.8 ms,
  ratio 1.07, the counter held 50.7 ms (13 %: the accounts' update, the stamp, the commit);
  before (--number-first) 360.0 ms, held 327.7 ms (91 %). A logged visit alone
  holds it for 8 of its statements instead of all of them (test_round_trips.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.database import postgis_cluster  # noqa: E402

WIDTH = 0.01
SMALL_SCOPE = 5
BATCH = 100
RUNS = 9


def _visit(account_id: str, x: float, y: float, n: int) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {
        "account_id": account_id, "status": "done", "outcome": "order",
        "notes": f"bench visit {n}", "completed_at": now,
        "check_in": {"location": {"lat": y, "lng": x}, "accuracy_m": 12, "at": now},
    }  # fmt: skip
    if n % 3 == 0:
        fields["next_step"] = {"title": f"Call back {n}", "due_at": now}
    return {"op_id": str(uuid.uuid4()), "entity": "visit", "action": "create",
            "id": str(uuid.uuid4()), "fields": fields}  # fmt: skip


def _note(account_id: str) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {"account_id": account_id, "kind": "note", "subject": "Note", "occurred_at": now}
    return {"op_id": str(uuid.uuid4()), "entity": "activity", "action": "create",
            "id": str(uuid.uuid4()), "fields": fields}  # fmt: skip


def child(reps: int, accounts: int, profile: bool) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from fieldcrm.accounts.models import Account
    from fieldcrm.core.models import ChangeCounter
    from fieldcrm.sync.selectors import committed_cursor
    from fieldcrm.territories.models import Region, Territory
    from fieldcrm.users.models import User

    call_command("migrate", verbosity=0)
    region = Region.objects.create(name="Bench")
    seq, people = 0, []
    for t in range(reps + 1):  # the last one is the small-scope rep
        size = SMALL_SCOPE if t == reps else accounts
        x, y = 1.0 + (t % 100) * WIDTH, 42.0 + (t // 100) * WIDTH
        square = Polygon.from_bbox((x, y, x + WIDTH, y + WIDTH))
        territory = Territory.objects.create(
            name=f"T{t}", region=region, boundary=MultiPolygon(square, srid=4326)
        )
        rep = User.objects.create(username=f"bench-rep{t}", role=User.Role.REP)
        territory.reps.add(rep)
        rows = [
            Account(name=f"Shop {t}-{i}", territory=territory, change_seq=seq + i + 1,
                    location=Point(x + WIDTH / 2, y + WIDTH / 2, srid=4326), status="customer")
            for i in range(size)
        ]  # fmt: skip
        seq += size
        Account.all_objects.bulk_create(rows, batch_size=2000)
        people.append((rep, [str(a.pk) for a in rows], x + WIDTH / 2, y + WIDTH / 2))
    ChangeCounter.objects.update_or_create(pk=1, defaults={"value": seq})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # How long each push holds the change counter: from taking the number to the commit
    # (every other writer of a synced row waits that long for it).
    import time

    import fieldcrm.core.models as core_models

    held: list[float] = []
    counter_next = core_models._counter_next

    def timed_counter_next() -> int:
        taken = time.perf_counter()
        value = counter_next()
        connection.on_commit(lambda: held.append((time.perf_counter() - taken) * 1000))
        return value

    core_models._counter_next = timed_counter_next  # type: ignore[assignment]
    if os.environ.get("BENCH_NUMBER_FIRST"):  # --number-first: the push as before issue 22's fix
        from fieldcrm.sync import services

        services.numbered_at_commit = core_models.one_change_number  # type: ignore[assignment]
    clients = {}

    def client_of(rep: User) -> Client:
        if rep.pk not in clients:
            clients[rep.pk] = Client()
            clients[rep.pk].force_login(rep)
        return clients[rep.pk]

    def push(rep: User, batch: list[dict]) -> float:
        response = client_of(rep).post(
            "/api/v1/sync/push", {"mutations": batch}, content_type="application/json"
        )
        assert response.status_code == 200, response.content[:500]
        bad = [r for r in response.json()["results"] if r["status"] != "applied"]
        assert not bad, bad[:1]
        return _server_ms(response)

    me, my_accounts, mx, my = people[0]
    before = committed_cursor()
    for n, (rep, ids, x, y) in enumerate(people[:reps]):
        push(rep, [*(_visit(ids[k], x, y, n + k) for k in range(3)), _note(ids[0])])
    client = client_of(me)

    def pull() -> tuple[float, dict]:
        response = client.get(f"/api/v1/sync/pull?cursor={before}&limit=500")
        assert response.status_code == 200, response.content[:500]
        return _server_ms(response), response.json()

    pull()  # warm
    times = [pull()[0] for _ in range(RUNS)]
    body = pull()[1]
    with CaptureQueriesContext(connection) as queries:
        pull()
    plans = [_plan(connection, q["sql"]) for q in queries.captured_queries]
    out: dict[str, Any] = {
        "global_changes": committed_cursor() - before,
        "pull_ms": statistics.median(times),
        "pull_rows": {k: len(v) for k, v in body["changes"].items()},
        "pull_queries": len(plans),
        "plans": plans,
    }
    if profile:
        out["pull_profile"] = _profiled(pull)

    small, small_accounts, sx, sy = people[reps]

    def batch_of(ids: list[str], x: float, y: float) -> list[dict]:
        return [_visit(ids[k % len(ids)], x, y, k) for k in range(BATCH)]

    big_ms, small_ms, big_held = [], [], []
    for _ in range(RUNS):  # interleaved, so both see the same machine
        held.clear()
        big_ms.append(push(me, batch_of(my_accounts, mx, my)))
        big_held.append(sum(held))
        small_ms.append(push(small, batch_of(small_accounts, sx, sy)))
    out["push_big_ms"] = statistics.median(big_ms)
    out["push_small_ms"] = statistics.median(small_ms)
    out["push_big_held_ms"] = statistics.median(big_held)
    with CaptureQueriesContext(connection) as queries:
        push(me, batch_of(my_accounts, mx, my))
    out["push_queries"] = len(queries.captured_queries)
    out["push_plans"] = [
        _plan(connection, q["sql"])
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    if profile:
        out["push_profile"] = _profiled(lambda: push(me, batch_of(my_accounts, mx, my)))
    return out


def _server_ms(response: Any) -> float:
    match = re.search(r"dur=([\d.]+)", response.headers.get("Server-Timing", ""))
    return float(match.group(1)) if match else float("nan")


def _plan(connection: Any, sql: str) -> dict[str, Any]:
    """A query's plan; on PostgreSQL with its own execution time (a SELECT is run again)."""
    head = sql.lstrip().upper()
    entry: dict[str, Any] = {"sql": sql[:300]}
    if not head.startswith("SELECT"):
        return entry
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            lines = [row[0][:200] for row in cursor.fetchall()]
            match = re.search(r"Execution Time: ([\d.]+)", lines[-1])
            entry["ms"] = float(match.group(1)) if match else None
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            lines = [str(row[-1])[:200] for row in cursor.fetchall()]
    entry["plan"] = lines
    return entry


def _profiled(call: Any) -> list[str]:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(30)
    return stream.getvalue().splitlines()


def run_backend(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": url, "FIELDCRM_VAR_DIR": tempfile.mkdtemp(),
           "FIELDCRM_ALLOWED_HOSTS": "testserver", "FIELDCRM_LOG_LEVEL": "ERROR"}  # fmt: skip
    argv = [sys.executable, __file__, "--child", str(args.reps), str(args.accounts)]
    if args.profile:
        argv.append("--profile")
    out = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"{label} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(label: str, r: dict[str, Any], verbose: bool) -> None:
    print(f"\n== {label}: pull after one round of {r['global_changes']} change numbers ==")
    print(f"pull server time p50 {r['pull_ms']:.1f} ms, {r['pull_queries']} queries,"
          f" rows {r['pull_rows']}")  # fmt: skip
    for p in r["plans"]:
        ms = f"{p['ms']:.2f} ms" if p.get("ms") is not None else ""
        print(f"  [{ms:>9}] {p['sql'][:160]}")
        if verbose:
            for line in p.get("plan", []):
                print("             ", line)
    ratio = r["push_big_ms"] / r["push_small_ms"]
    print(f"push of {BATCH} visits: {r['push_big_ms']:.1f} ms (scope {args.accounts}) vs"
          f" {r['push_small_ms']:.1f} ms (scope {SMALL_SCOPE}): ratio {ratio:.2f}"
          f" (aim ≤ 1.5), {r['push_queries']} queries; the change counter held"
          f" {r['push_big_held_ms']:.1f} ms of it (taking the number to the commit)")  # fmt: skip
    if verbose:
        for p in r["push_plans"]:
            ms = f"{p['ms']:.2f} ms" if p.get("ms") is not None else ""
            print(f"  [{ms:>9}] {p['sql'][:160]}")
            for line in p.get("plan", []):
                print("             ", line)
    for key in ("pull_profile", "push_profile"):
        if key in r:
            print(f"-- {key} --")
            print("\n".join(r[key][:60]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="20 reps × 30 accounts")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--backend", default="both", choices=["spatialite", "postgis", "both"])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--plans", action="store_true", help="print every query plan")
    parser.add_argument(
        "--number-first", action="store_true", help="a push takes the change number first (before)"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), int(args.child[1]), args.profile)))
        sys.exit(0)
    if args.smoke:
        args.reps, args.accounts = 20, 30
    if args.number_first:
        os.environ["BENCH_NUMBER_FIRST"] = "1"
    if args.backend in ("spatialite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            result = run_backend("spatialite", f"spatialite:///{tmp}/bench.db", args)
            report("spatialite", result, args.plans)
    if args.backend in ("postgis", "both"):
        with postgis_cluster() as url:
            report("postgis", run_backend("postgis", url, args), args.plans)
