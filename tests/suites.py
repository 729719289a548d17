"""`make test`: the whole suite on SpatiaLite and on a throwaway PostGIS cluster, side by side.

The two suites run at the same time, one pytest process each: a test mostly waits on its
database, its browsers and its servers, so the two overlap well on two cores (together about
the time of the longer one, where one after the other took the sum). SpatiaLite's output streams
live; PostGIS's is kept in a file and printed whole once both have finished, so nothing
interleaves. `FIELDCRM_TEST_SERIAL=1` runs them one after the other, both streaming (to read a
failure as it happens, or on a one-core machine).

Each suite gets its own temporary folder: its database file (SpatiaLite), pytest's `--basetemp`
and `FIELDCRM_VAR_DIR` (the generated secret key, keys, backups), so the two processes share no
file they write; ports are free ones each process picks, and the PostGIS cluster is its suite's
alone.

pytest's exit code 5 (nothing collected) is treated as a failure on purpose: a suite that
silently collects nothing must never look green.

A few tests failed now and then only while both suites shared the two cores (a browser wait or a
server's answer running out of patience under the other suite's load). When a suite ends with
at most `MAX_RERUN` failed tests, those tests run once more, alone, after both suites. Their
first failure is not hidden: the summary, the last lines printed, names every test that failed
side by side and says which passed alone. More failures than that, or a failure alone, fail
`make test`. `FIELDCRM_TEST_NO_RERUN=1` turns the second run off.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.database import postgis_cluster  # noqa: E402

NO_TESTS = 5
TESTS_FAILED = 1
MAX_RERUN = 5


def start_pytest(
    label: str, database_url: str, workdir: Path, extra: list[str], out: IO[str] | None
) -> subprocess.Popen[str]:
    print(f"\n===== {label}: {database_url} (started) =====", flush=True)
    failed_file(workdir).unlink(missing_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FIELDCRM_TEST_BACKEND": label,
        "FIELDCRM_VAR_DIR": str(workdir / "var"),
        "FIELDCRM_FAILED_FILE": str(failed_file(workdir)),
    }
    # The slowest tests are printed so a creeping suite is seen before it hurts.
    command = [
        sys.executable, "-m", "pytest", "--durations=15", f"--basetemp={workdir / 'pytest'}",
        *extra,
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out, text=True)


def finish(label: str, process: subprocess.Popen[str], started: float) -> int:
    code = process.wait()
    print(f"===== {label}: exit {code} after {time.monotonic() - started:.0f} s =====", flush=True)
    if code == NO_TESTS:
        print(f"{label}: pytest collected no tests; treating that as a failure.", flush=True)
        return 1
    return code


def failed_file(workdir: Path) -> Path:
    """Where tests/conftest.py writes the ids of the tests that failed."""
    return workdir / "failed.txt"


def failed_ids(workdir: Path) -> list[str]:
    path = failed_file(workdir)
    lines = path.read_text().splitlines() if path.exists() else []
    return list(dict.fromkeys(line for line in lines if line))  # a test failed in setup and call


@contextlib.contextmanager
def workdir(label: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"fieldcrm-test-{label}-") as tmp:
        yield Path(tmp)


def main(argv: list[str]) -> int:
    serial = os.environ.get("FIELDCRM_TEST_SERIAL", "") not in ("", "0")
    rerun = os.environ.get("FIELDCRM_TEST_NO_RERUN", "") in ("", "0")
    results: dict[str, int] = {}
    failed: dict[str, list[str]] = {}
    alone: dict[str, int] = {}
    failed_alone: dict[str, list[str]] = {}
    started = time.monotonic()
    with workdir("spatialite") as lite, workdir("postgis") as pg, postgis_cluster() as url:
        lite_url = f"spatialite:///{lite}/test.db"
        suites = {"spatialite": (lite_url, lite), "postgis": (url, pg)}
        if serial:
            for label, (db_url, folder) in suites.items():
                t0 = time.monotonic()
                results[label] = finish(label, start_pytest(label, db_url, folder, argv, None), t0)
        else:
            log_path = pg / "postgis.log"
            with log_path.open("w") as log:
                pg_run = start_pytest("postgis", url, pg, argv, log)
                print("(its output follows once both suites are done)", flush=True)
                lite_run = start_pytest("spatialite", lite_url, lite, argv, None)
                results["spatialite"] = finish("spatialite", lite_run, started)
                results["postgis"] = finish("postgis", pg_run, started)
            print(f"\n===== postgis: {url} (its output) =====", flush=True)
            sys.stdout.write(log_path.read_text())
            sys.stdout.flush()
        for label, (db_url, folder) in suites.items():
            failed[label] = failed_ids(folder)
            if rerun and results[label] == TESTS_FAILED and 0 < len(failed[label]) <= MAX_RERUN:
                print(f"\n===== {label}: running the {len(failed[label])} failed test(s) "
                      "once more, alone =====", flush=True)  # fmt: skip
                t0 = time.monotonic()
                process = start_pytest(label, db_url, folder, failed[label], None)
                alone[label] = finish(label, process, t0)
                failed_alone[label] = failed_ids(folder)
    print(f"\n===== summary ({time.monotonic() - started:.0f} s) =====")
    passed = True
    for label in ("spatialite", "postgis"):
        code = results[label]
        if code == 0:
            print(f"{label:10} passed")
            continue
        if alone.get(label) == 0:
            print(f"{label:10} passed alone after failing side by side (exit {code}); look at:")
        else:
            passed = False
            print(f"{label:10} FAILED (exit {code})")
        for nodeid in failed[label]:
            again = " (and alone)" if nodeid in failed_alone.get(label, []) else ""
            print(f"  failed: {nodeid}{again}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
