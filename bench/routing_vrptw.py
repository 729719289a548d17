"""Thin wrapper so ``python bench/routing_vrptw.py ...`` works like ``python -m routing.bench``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
