"""`make test`: the whole suite once on SpatiaLite and once on a throwaway PostGIS cluster.

pytest's exit code 5 (nothing collected) is treated as a failure on purpose: a suite that
silently collects nothing must never look green.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.database import postgis_cluster  # noqa: E402

NO_TESTS = 5


def run_pytest(label: str, database_url: str, extra: list[str]) -> int:
    print(f"\n===== {label}: {database_url} =====", flush=True)
    env = {**os.environ, "DATABASE_URL": database_url, "FIELDCRM_TEST_BACKEND": label}
    # The slowest tests are printed so a creeping suite is seen before it hurts.
    command = [sys.executable, "-m", "pytest", "--durations=15", *extra]
    code = subprocess.call(command, cwd=ROOT, env=env)
    if code == NO_TESTS:
        print(f"{label}: pytest collected no tests; treating that as a failure.", flush=True)
        return 1
    return code


def main(argv: list[str]) -> int:
    results = {}
    with tempfile.TemporaryDirectory(prefix="fieldcrm-test-") as tmp:
        results["spatialite"] = run_pytest("spatialite", f"spatialite:///{tmp}/test.db", argv)
    with postgis_cluster() as url:
        results["postgis"] = run_pytest("postgis", url, argv)
    print("\n===== summary =====")
    for label, code in results.items():
        print(f"{label:10} {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
