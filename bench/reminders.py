"""Reminders on the production topology with a worker killed mid-run (issue 17): time from a
reminder being due to its e-mail arriving, and throughput.

Run: .venv/bin/python bench/reminders.py [--smoke] [--tasks 10000] [--reps 2] [--via bulk|api]
     [--compare-connections]

A throwaway PostGIS cluster, Redis, two gunicorn servers, two Celery workers (solo pool) and
Celery beat (reminders and deliveries asked for every second), e-mail to a real SMTP server on
a loopback port (aiosmtpd, 5 ms per message). ``--tasks`` tasks are made at once (``bulk``: one
insert, all due at the same instant; ``api``: through the two servers, the make-test shape),
each with its reminder due at once; when a quarter of the e-mails have arrived worker 1 is
SIGKILLed. Printed: expected and arrived Message-IDs, copies (each with its row's attempts),
p50/p95 of due → first arrival, the span from the first due to the last arrival, and
deliveries per second over it. The harness is tests/harness/reminders.py (the make-test
version, 200 tasks, is tests/fieldcrm/notifications/test_reminder_faults.py).

Measured 2026-12-01 on the shared 2-core box under load average 12-14 from other work:
  --tasks 2000 --via bulk: 2000 of 2000 Message-IDs arrived, 0 copies, 1 kill, all rows sent;
  due -> arrival p50 231 s, p95 590 s, span 623 s, 3.2 deliveries/s.
  make-test shape (200 via the API): p50 8-12 s, p95 17-27 s, 6-9 deliveries/s.
The 10,000 run was not made (at this rate about 50 minutes). Suspected cost, not yet profiled:
every remind job scans all pending tasks again, beat asks every second and both workers run
those scans between deliveries, and each e-mail opens its own SMTP connection.

Measured 2026-12-01 23:20-23:50 UTC with ``--compare-connections --via bulk`` (the same run
does a connection per e-mail, then one per pass; the box shared, load average 4-8, and other
jobs of mine ran during the second halves, so the ratio is noise): 600 tasks 18.5 vs 13.5
deliveries/s (600 vs 8 SMTP connections), 1,000 tasks 8.6 vs 7.3/s (about 1,000 vs 12). On
loopback a connection costs almost nothing, so reuse shows no gain here; bench/smtp_batch.py
isolates it in one process (200 e-mails: 9.2/s with a connection each, 12.0/s reused, x1.3).
The 1,000 run's reused half had 5 copies with one kill: claims took their lease from the start
of a long pass, so rows claimed late were already "abandoned" for the other worker; fixed (the
lease starts at each claim) after that run; re-run at 00:17 UTC with the fix (``--tasks 1000
--via bulk``): 1,000 of 1,000, 0 copies, 1 kill, p50 37.6 s, p95 62.2 s, span 65.0 s, 15.4
deliveries/s over 12 SMTP connections. Since then the
make-test shape (200 via the API) ran twice: 0 copies, 200 of 200, p50 6.6-8.2 s, 8.9-13
deliveries/s.

Measured 2026-12-02 00:28-00:52 UTC, ``--tasks 10000 --via bulk``, at the lowest CPU priority
beside a CI run: 10,000 of 10,000 Message-IDs arrived, 1 copy with 1 kill (the window between
the SMTP hand-off and its record), p50 416 s, p95 924 s, span 989 s, 10.1 deliveries/s over 121
SMTP connections.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import reminders  # noqa: E402
from tests.harness.database import postgis_cluster  # noqa: E402


def _ok(outcome: reminders.Outcome) -> bool:
    return not outcome.missing and outcome.summary()["copies"] <= outcome.kills


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="50 tasks (make bench)")
    parser.add_argument("--via", choices=("bulk", "api"), default="bulk")
    parser.add_argument(
        "--compare-connections", action="store_true",
        help="run twice on one cluster: one SMTP connection per e-mail, then one per pass",
    )  # fmt: skip
    args = parser.parse_args()
    if args.smoke:
        args.tasks = 50
    # One connection per e-mail (the behaviour before connection reuse), then the default.
    shapes = {"per_email": {"FIELDCRM_EMAIL_PER_CONNECTION": "1"}, "reused": {}}
    if not args.compare_connections:
        shapes = {"reused": {}}
    results: dict[str, reminders.Outcome] = {}
    with postgis_cluster() as url, tempfile.TemporaryDirectory(prefix="fieldcrm-bench-") as tmp:
        for name, extra in shapes.items():
            results[name] = reminders.run(
                url, Path(tmp) / name, tasks=args.tasks, reps=args.reps, via=args.via,
                timeout=3600, extra_env=extra,
            )  # fmt: skip
            print(name, json.dumps(results[name].summary(), indent=1), flush=True)
    if len(results) == 2:
        before, after = (results[n].summary()["per_s"] for n in ("per_email", "reused"))
        print(f"deliveries/s: {before} with a connection per e-mail, {after} reused"
              f" (x{after / before:.2f})" if before else "no deliveries measured")  # fmt: skip
    ok = all(_ok(outcome) for outcome in results.values())
    print("every Message-ID arrived; copies within the kills" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
