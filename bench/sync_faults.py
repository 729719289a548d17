"""Issue 7 at full size: every server-side fault scenario on SpatiaLite and on PostGIS.

Run: .venv/bin/python bench/sync_faults.py [--smoke] [--backend spatialite|postgis|both]
     [--only 1,2,4] [--cases N] [--browser]

Each scenario runs against a real gunicorn (2 workers) on a fresh seeded database (the
harness: tests/harness/, scenarios in tests/harness/scenarios.py, the same ones the test suite
runs) and prints items sent, applied, duplicated, lost (and rejected / half-saved where they
apply) and the time it took. The oracle is the test suite's: one server row per client UUID,
nothing half-saved, the retried outbox converges. Scenario 7
(interleavings) runs in a child process on a database of its own; 6 (clocks) in a child with
time-machine. ``--browser`` also runs the browser scenarios (5, 11, 12:
tests/browser/test_sync_faults.py) at full size (500 visits + 50 prospects + 100 edits;
10,000 queued items) through pytest, and prints their time and result.
``--smoke`` shrinks every size for a quick pass (< 60 s per backend on an idle machine).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import scenarios  # noqa: E402
from tests.harness.database import drop_database, fresh_database, postgis_cluster  # noqa: E402
from tests.harness.env import PY, harness_child  # noqa: E402
from tests.harness.oracle import check_oracle  # noqa: E402
from tests.harness.phone import LEDGER, ledger_reset  # noqa: E402

FULL = {
    "lost": 100,
    "twice_rounds": 10,
    "kill_runs": 20,
    "kill_size": 60,
    "skew": 200,
    "cases": 1000,
}
SMOKE = {"lost": 20, "twice_rounds": 2, "kill_runs": 1, "kill_size": 30, "skew": 6, "cases": 20}


def figures(creates: list[dict] | None = None, db=None, rejected=frozenset()) -> dict:
    """Sent / applied / duplicated / lost from the phones' ledger and the oracle."""
    ops, answers = LEDGER["ops"], LEDGER["answers"]
    first_applied = sum(1 for a in answers.values() if a and a[0] in ("applied", "conflict"))
    doubled_answers = sum(1 for a in answers.values() if a.count("applied") > 1)
    out = {
        "sent": len(ops),
        "applied": first_applied,
        "rejected": sum(1 for a in answers.values() if "rejected" in a),
        "duplicated": doubled_answers,
        "lost": 0,
        "half_saved": 0,
    }
    if creates is not None and db is not None:
        tally = check_oracle(db, creates, expect_rejected=set(rejected))
        out["applied"] = max(out["applied"], tally.applied)
        out["duplicated"] += tally.duplicated
        out["lost"] = tally.lost
        out["half_saved"] = tally.half_saved
    return out


def creates_sent() -> list[dict]:
    return [m for m in LEDGER["ops"].values() if m.get("action") == "create"]


def s1_lost(live, size) -> dict:
    scenarios.lost_answers_after_commit(live, pushes=size["lost"])
    return figures(creates_sent(), live.db)


def s2_twice(live, size) -> dict:
    scenarios.same_batch_pushed_twice_at_once(live, rounds=size["twice_rounds"])
    return figures(creates_sent(), live.db)


def s3_invalid(live, size) -> dict:
    bad = scenarios.one_invalid_item_in_fifty(live)
    out = figures(creates_sent(), live.db, {bad["op_id"]})
    scenarios.id_taken_out_of_scope_rejected_alone(live)
    return out


def s4_kill(live, size) -> dict:
    db, world, server = live
    rng = random.Random(44)
    creates, mid, half = [], 0, 0
    for _ in range(size["kill_runs"]):
        run = scenarios.kill_mid_batch(db, server, world["reps"][1], rng, size=size["kill_size"])
        creates += run["ops"]
        mid += run["mid_batch"]
        half += run["half_saved_after_kill"] + (not run["all_or_nothing"])
    out = figures(creates, db)
    out["half_saved"] += half
    out["note"] = f"{mid}/{size['kill_runs']} kills landed mid-batch"
    assert mid == size["kill_runs"], out
    return out


def s6_clocks(live, size) -> dict:
    db = live.db
    report = harness_child(db, "skew", str(size["skew"]))
    statuses = report["statuses"]
    out = {
        "sent": len(report["ops"]),
        "applied": statuses.count("applied"),
        "rejected": statuses.count("rejected"),
        "duplicated": 0,
        "lost": len(report["skipped"]),
        "half_saved": 0,
    }
    tally = check_oracle(db, report["ops"])
    out["duplicated"], out["half_saved"] = tally.duplicated, tally.half_saved
    out["lost"] += tally.lost
    out["note"] = "fresh install differs: " + (",".join(report["fresh_differs"]) or "no")
    assert not report["skipped"] and not report["fresh_differs"], report["skipped"][:5]
    return out


def s7_interleavings(live, size) -> dict:
    db = live.db
    fresh, _ = fresh_database(db.url, db.workdir)
    try:
        report = harness_child(fresh, "interleave", str(size["cases"]), timeout=3600, check=False)
    finally:
        drop_database(fresh)
    return {
        "sent": report["steps"],
        "applied": report["cases"],
        "duplicated": 0,
        "lost": report["failures"],
        "half_saved": 0,
        "note": f"{report['cases']} schedules, {report['pulls']} pulls, "
        f"{report['blocked']} steps blocked on a lock; failure: {report['failure'] or 'none'}",
    }


def _wrap(test: Callable) -> Callable:
    def run(live, size) -> dict:
        test(live)
        return figures(creates_sent(), live.db)

    return run


SCENARIOS: dict[str, tuple[str, Callable]] = {
    "1": ("lost answer after commit, retried", s1_lost),
    "2": ("same batch pushed twice at once", s2_twice),
    "3": ("50 with one invalid (+ id clash)", s3_invalid),
    "4": ("gunicorn SIGKILLed mid-batch", s4_kill),
    "6": ("phone ±24 h, server -1 h", s6_clocks),
    "7": ("interleaved writers vs pulls", s7_interleavings),
    "8": ("edit conflicts", _wrap(scenarios.edit_conflicts_merge_or_surface)),
    "9": (
        "delete, then fresh install",
        _wrap(scenarios.deleted_record_stays_deleted_after_a_fresh_install),
    ),
    "10": (
        "account leaves territory",
        _wrap(scenarios.account_leaving_the_territory_is_removed_and_its_edit_rejected),
    ),
}


def run_browser(label: str, base_url: str, smoke: bool) -> list[dict]:
    """The phone scenarios at full size: pytest on tests/browser/test_sync_faults.py."""
    import os

    scale = "0.1" if smoke else "1.0"
    rows = []
    with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-browser-") as tmp:
        url = f"spatialite:///{tmp}/test.db" if base_url.startswith("spatialite") else base_url
        env = {**os.environ, "DATABASE_URL": url, "FIELDCRM_FAULT_SCALE": scale}
        for key, name, sent in (
            ("5", "test_5_", round(650 * float(scale))),
            ("11", "test_11_", 6),
            ("12", "test_12_", max(600, round(10_000 * float(scale)))),
        ):
            started = time.monotonic()
            code = subprocess.call(
                [
                    PY,
                    "-m",
                    "pytest",
                    "tests/browser/test_sync_faults.py",
                    "-q",
                    "-k",
                    name,
                    "-p",
                    "no:randomly",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            ok = code == 0
            row = {
                "backend": label,
                "scenario": key,
                "title": f"browser {name.strip('_')}",
                "sent": sent,
                "applied": sent if ok else 0,
                "duplicated": 0,
                "lost": 0 if ok else sent,
                "half_saved": 0,
                "rejected": 0,
                "ok": ok,
                "seconds": round(time.monotonic() - started, 1),
                "note": "exactly-once asserted in the test" if ok else f"pytest exit {code}",
            }
            rows.append(row)
            _print_row(row)
    return rows


def run_backend(label: str, base_url: str, size: dict, only: list[str]) -> list[dict]:
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="fieldcrm-bench-faults-") as tmp,
        scenarios.serving(base_url, Path(tmp)) as live,
    ):
        db, server = live.db, live.server
        for key in only:
            title, scenario = SCENARIOS[key]
            ledger_reset()
            started = time.monotonic()
            try:
                row = scenario(live, size)
                row["ok"] = True
            except AssertionError as exc:
                row = {**figures(creates_sent(), db), "ok": False, "note": str(exc)[:300]}
            if server.proc is None:
                server.start()
            row.update(
                backend=label,
                scenario=key,
                title=title,
                seconds=round(time.monotonic() - started, 1),
            )
            row["ok"] = row["ok"] and row["duplicated"] == row["lost"] == row["half_saved"] == 0
            rows.append(row)
            _print_row(row)
        errors = server.errors_logged()
        if errors:
            print(f"  server log errors on {label}:\n{errors[:2000]}")
    return rows


HEADER = (
    f"{'backend':10} {'#':>2} {'scenario':36} {'sent':>6} {'applied':>7} {'dup':>4} "
    f"{'lost':>4} {'half':>4} {'rej':>4} {'secs':>6}  ok"
)


def _print_row(r: dict) -> None:
    print(
        f"{r['backend']:10} {r['scenario']:>2} {r['title'][:36]:36} {r['sent']:>6} "
        f"{r['applied']:>7} {r['duplicated']:>4} {r['lost']:>4} {r['half_saved']:>4} "
        f"{r.get('rejected', 0):>4} {r['seconds']:>6}  {'yes' if r['ok'] else 'NO'}"
        + (f"   ({r['note']})" if r.get("note") else ""),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--backend", choices=["spatialite", "postgis", "both"], default="both")
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--cases", type=int, help="interleavings (scenario 7)")
    parser.add_argument("--browser", action="store_true", help="also scenarios 5, 11, 12")
    args = parser.parse_args()
    size = dict(SMOKE if args.smoke else FULL)
    if args.cases:
        size["cases"] = args.cases
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    print(HEADER, flush=True)
    rows: list[dict] = []
    threading.current_thread().name = "bench"
    if args.backend in ("spatialite", "both"):
        rows += run_backend("spatialite", "spatialite:///unused.db", size, only)
        if args.browser:
            rows += run_browser("spatialite", "spatialite:///unused.db", args.smoke)
    if args.backend in ("postgis", "both"):
        with postgis_cluster() as url:
            rows += run_backend("postgis", url, size, only)
            if args.browser:
                rows += run_browser("postgis", url, args.smoke)
    bad = [r for r in rows if not r["ok"]]
    print(
        f"\n{len(rows) - len(bad)}/{len(rows)} scenario runs clean"
        + (f"; FAILED: {[(r['backend'], r['scenario']) for r in bad]}" if bad else "")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
