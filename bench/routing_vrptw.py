"""Thin wrapper so ``python bench/routing_vrptw.py ...`` works like ``python -m routing.bench``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing.bench import main  # noqa: E402

if __name__ == "__main__":
    if sys.argv[1:] == ["--smoke"]:  # `make bench`: the committed test instances, 2 s each
        data = Path(__file__).resolve().parent.parent / "tests" / "data" / "vrptw"
        sys.argv[1:] = [str(data), "--time-limit", "2", "--out", "/tmp/routing-smoke.json"]
    sys.exit(main())
