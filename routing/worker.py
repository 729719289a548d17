"""OR-Tools in a child process: ``python -m routing.worker`` reads a pickled job on stdin.

A plain subprocess rather than ``multiprocessing``: spawn re-imports the caller's ``__main__``
(which breaks scripts without a main guard) and Celery's daemonic workers may not use
``multiprocessing`` children at all. The child shares the parent's monotonic clock, so the
deadline it receives is the caller's own.
"""

from __future__ import annotations

import pickle
import sys

from routing.ortools_solver import solve_ortools


def main() -> None:
    inp, deadline, config = pickle.load(sys.stdin.buffer)
    result = solve_ortools(inp, deadline=deadline, config=config)
    sys.stdout.buffer.write(pickle.dumps(result))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
