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


def start_pytest(
    label: str, database_url: str, workdir: Path, extra: list[str], out: IO[str] | None
) -> subprocess.Popen[str]:
    print(f"\n===== {label}: {database_url} (started) =====", flush=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FIELDCRM_TEST_BACKEND": label,
        "FIELDCRM_VAR_DIR": str(workdir / "var"),
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


@contextlib.contextmanager
def workdir(label: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"fieldcrm-test-{label}-") as tmp:
        yield Path(tmp)


def main(argv: list[str]) -> int:
    serial = os.environ.get("FIELDCRM_TEST_SERIAL", "") not in ("", "0")
    results: dict[str, int] = {}
    started = time.monotonic()
    with workdir("spatialite") as lite, workdir("postgis") as pg, postgis_cluster() as url:
        lite_url = f"spatialite:///{lite}/test.db"
        if serial:
            for label, db_url, folder in (("spatialite", lite_url, lite), ("postgis", url, pg)):
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
    print(f"\n===== summary ({time.monotonic() - started:.0f} s) =====")
    for label in ("spatialite", "postgis"):
        code = results[label]
        print(f"{label:10} {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
