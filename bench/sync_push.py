"""Sync push under load: many phones sending logged visits at once (issue 6).

Run: .venv/bin/python bench/sync_push.py [--smoke] [--backend spatialite|postgis|both]
     [--devices 50] [--visits 10000] [--batch 100] [--workers 4] [--threads 8]

Per backend: a fresh database (a SpatiaLite file, or a throwaway PostGIS cluster), migrated,
with one region, one territory, a rep per device (each with an API token) and 200 accounts;
then gunicorn on a free port serves the app and every device pushes its share of the visits
in batches, all devices at once (one thread each). A visit is the phone's offline shape: ONE
create with check-in, outcome, notes and completion (one in ten with a next-step task).
Prints total time, throughput and per-batch p50/p95/max, and checks that the database holds
exactly the visits pushed (every result applied, nothing doubled). Per batch it prints the
server's own time (its Server-Timing header: includes waiting for the other worker's batch to
release the write lock) and the time as the devices saw it (queued behind the other devices:
all 50 push at the same instant, so by Little's law most of it is queueing).

Measured 2026-11-24 on the 2-core box (devices, gunicorn 2 workers and the database on the
same two cores), 50 devices, 10,000 visits, batches of 100:
  spatialite total 9.7 s (1,032 visits/s); server time per batch p50 0.08 s, p95 0.16 s;
             one device alone p95 0.16 s; as seen by the 50 devices at once p95 5.1 s
  postgis    total 12.8 s (782 visits/s); server time per batch p50 0.11 s, p95 0.26 s;
             one device alone p95 0.19 s; as seen by the 50 devices at once p95 6.7 s
  both: 0 retries, every visit applied exactly once (10,000 visits, activities; 1,000 tasks).
  History: 348 s / 634 s with a transaction per item; 38.9 s / 67.3 s with one transaction
  per batch; now a run of visit creates is written with one statement per table.
  With all 50 devices always waiting, a batch waits by Little's law ~50 / (batches per second):
  under 1 s would take 5,000 visits/s, beyond two cores; the server's own time per batch and a
  lone device's wait are the p95 a phone sees when it is not one of 50 pushing at once.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.database import drop_database, migrated_database, postgis_cluster  # noqa: E402
from tests.harness.env import child_json  # noqa: E402
from tests.harness.server import Server  # noqa: E402

ACCOUNTS = 200
ALONE_BATCHES = 20
CENTRE = (1.05, 42.05)  # lng, lat of the bench territory's middle


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    import django

    django.setup()


def setup_data(devices: int) -> dict:
    """Runs in a child process (settings read DATABASE_URL once): reps, tokens, accounts."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.gis.geos import Point

    from fieldcrm.accounts.services import account_create
    from fieldcrm.territories.models import Region, Territory
    from fieldcrm.territories.services import territory_save
    from fieldcrm.users.models import User
    from fieldcrm.users.services import token_create
    from tests.factories import square

    region = Region.objects.create(name="Bench", boundary=square(1.0, 42.0, 1.1, 42.1))
    territory = territory_save(
        territory=Territory(name="Bench A", region=region, boundary=square(1.0, 42.0, 1.1, 42.1))
    )
    password = make_password(None)
    reps = [
        User.objects.create(username=f"bench-rep{i}", role="rep", password=password)
        for i in range(devices)
    ]
    territory.reps.set(reps)
    tokens = [token_create(user=rep, name="bench")[1] for rep in reps]
    accounts = []
    for i in range(ACCOUNTS):
        lng = 1.01 + (i % 20) * 0.004
        lat = 42.01 + (i // 20) * 0.008
        account = account_create(
            fields={"name": f"Shop {i}", "location": Point(lng, lat, srid=4326)}
        )
        accounts.append({"id": str(account.pk), "lat": lat, "lng": lng})
    return {"tokens": tokens, "accounts": accounts}


def count_rows() -> dict:
    from fieldcrm.accounts.models import Activity
    from fieldcrm.tasks.models import Task
    from fieldcrm.visits.models import Visit

    return {
        "visits": Visit.objects.filter(status="done").count(),
        "activities": Activity.objects.filter(kind="visit").count(),
        "tasks": Task.objects.count(),
    }


def _visit(account: dict, n: int) -> dict:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    fields = {
        "account_id": account["id"], "status": "done", "outcome": "order",
        "notes": f"bench visit {n}", "completed_at": now,
        "check_in": {"location": {"lat": account["lat"] + 0.0001, "lng": account["lng"]},
                     "accuracy_m": 12, "at": now},
    }  # fmt: skip
    if n % 10 == 0:
        fields["next_step"] = {"title": f"Call back {n}", "due_at": now}
    return {"op_id": str(uuid.uuid4()), "entity": "visit", "action": "create",
            "id": str(uuid.uuid4()), "fields": fields}  # fmt: skip


def run_backend(label: str, base_url: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-") as tmp:
        db = migrated_database(base_url, Path(tmp))
        try:
            data = child_json(db, __file__, "--child=setup", f"--devices={args.devices}")
            with Server(db, workers=args.workers, threads=args.threads) as server:
                measured = push_all(server.url, data, args)
            rows = child_json(db, __file__, "--child=count")
        finally:
            drop_database(db)
    return summary(label, args, measured, rows)


def push_all(base: str, data: dict, args: argparse.Namespace) -> dict:
    """Every device pushes its share at once; then one device alone."""
    import requests

    per_device = args.visits // args.devices
    latencies: list[float] = []
    server_times: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(args.devices)

    def device(i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {data['tokens'][i]}"
        accounts = data["accounts"]
        visits = [_visit(accounts[(i * 7 + n) % len(accounts)], i * per_device + n)
                  for n in range(per_device)]  # fmt: skip
        start_gate.wait()
        for k in range(0, len(visits), args.batch):
            batch = visits[k : k + args.batch]
            # Like the phone: a 5xx or a lost answer is transient, so the same batch (same
            # op ids) goes again after a pause (capped backoff, no jitter needed here);
            # the server must not double anything.
            for attempt in range(60):
                t0 = time.perf_counter()
                try:
                    response = session.post(
                        f"{base}/api/v1/sync/push",
                        json={"device_id": f"bench-{i}", "mutations": batch}, timeout=900,
                    )  # fmt: skip
                except requests.RequestException as exc:
                    response, failure = None, repr(exc)
                else:
                    failure = None if response.status_code == 200 else response.status_code
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if response is not None and "Server-Timing" in response.headers:
                        ms = response.headers["Server-Timing"].split("dur=")[1]
                        server_times.append(float(ms) / 1000)
                    if failure is None:
                        for result in response.json()["results"]:
                            statuses[result["status"]] = statuses.get(result["status"], 0) + 1
                        break
                    errors.append(str(failure))
                time.sleep(min(5.0, 0.2 * 2**attempt))

    threads = [threading.Thread(target=device, args=(i,)) for i in range(args.devices)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = time.perf_counter() - t0
    # The same batches from one device while the others are quiet: the wait a phone sees
    # when it is not queued behind 49 others.
    alone: list[float] = []
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {data['tokens'][0]}"
    for k in range(ALONE_BATCHES):
        batch = [_visit(data["accounts"][(k + n) % len(data["accounts"])], -1)
                 for n in range(args.batch)]  # fmt: skip
        t1 = time.perf_counter()
        body = {"device_id": "bench-alone", "mutations": batch}
        response = session.post(f"{base}/api/v1/sync/push", json=body)
        alone.append(time.perf_counter() - t1)
        response.raise_for_status()
    alone.sort()
    return {"per_device": per_device, "total": total, "latencies": latencies,
            "server_times": server_times, "alone": alone, "statuses": statuses,
            "errors": errors}  # fmt: skip


def summary(label: str, args: argparse.Namespace, measured: dict, rows: dict) -> dict:
    per_device, total, alone = measured["per_device"], measured["total"], measured["alone"]
    latencies, server_times = measured["latencies"], measured["server_times"]
    statuses, errors = measured["statuses"], measured["errors"]
    pushed = per_device * args.devices
    for table in ("visits", "activities"):  # the lone device's batches come on top
        rows[table] -= ALONE_BATCHES * args.batch
    latencies.sort()
    server_times.sort()
    return {
        "backend": label,
        "devices": args.devices,
        "visits": pushed,
        "batch": args.batch,
        "total_s": round(total, 2),
        "visits_per_s": round(pushed / total, 1),
        "batch_p50_s": round(statistics.median(latencies), 3),
        "batch_p95_s": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 3),
        "batch_max_s": round(latencies[-1], 3),
        "server_p50_s": round(statistics.median(server_times), 3),
        "server_p95_s": round(server_times[max(0, int(len(server_times) * 0.95) - 1)], 3),
        "alone_p50_s": round(statistics.median(alone), 3),
        "alone_p95_s": round(alone[max(0, int(len(alone) * 0.95) - 1)], 3),
        "statuses": statuses,
        "retries": len(errors),
        "http_errors": sorted(set(errors))[:3],
        "rows": rows,
        "exactly_once": rows["visits"] == pushed
        and statuses.get("applied", 0) + statuses.get("already_applied", 0) == pushed,
    }


def report(r: dict) -> None:
    print(
        f"{r['backend']:10} {r['devices']} devices · {r['visits']} visits in batches of "
        f"{r['batch']}: total {r['total_s']} s, {r['visits_per_s']} visits/s; per batch, "
        f"server time p50 {r['server_p50_s']} s, p95 {r['server_p95_s']} s; as the devices "
        f"saw it (queued behind the others) p50 {r['batch_p50_s']} s, p95 {r['batch_p95_s']} s, "
        f"max {r['batch_max_s']} s; one device alone p50 {r['alone_p50_s']} s, "
        f"p95 {r['alone_p95_s']} s · "
        f"{r['statuses']} · retries {r['retries']} · rows {r['rows']} · "
        f"exactly once: {r['exactly_once']}",
        flush=True,
    )
    if r["http_errors"]:
        print("  transient failures (retried):", r["http_errors"], flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="5 devices, 200 visits, batch 20")
    parser.add_argument("--backend", choices=["spatialite", "postgis", "both"], default="both")
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    # Two sync workers, as the load test: more writers only queue on the one write lock
    # (SQLite's, or the change counter's), and SQLite's busy wait is not fair to 32 of them.
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--child", choices=["setup", "count"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    # Stopped with SIGTERM, still stop the server (the finally blocks) rather than orphan it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.child:
        _django(os.environ["DATABASE_URL"])
        result = setup_data(args.devices) if args.child == "setup" else count_rows()
        print(json.dumps(result))
        return 0
    if args.smoke:
        args.devices, args.visits, args.batch = 5, 200, 20
    results = []
    if args.backend in ("spatialite", "both"):
        results.append(run_backend("spatialite", "spatialite:///unused.db", args))
        report(results[-1])
    if args.backend in ("postgis", "both"):
        with postgis_cluster() as url:
            results.append(run_backend("postgis", url, args))
            report(results[-1])
    return 0 if all(r["exactly_once"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
