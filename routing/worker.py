"""The second core: ``python -m routing.worker`` reads a pickled job on stdin, runs its tasks in
order and writes the pickled candidates to stdout.

A plain subprocess rather than ``multiprocessing``: spawn re-imports the caller's ``__main__``
(which breaks scripts without a main guard) and Celery's daemonic workers may not have
``multiprocessing`` children. The child shares the parent's monotonic clock, so the deadlines it
receives are the caller's own.
"""

from __future__ import annotations

import pickle
import sys

from routing.candidate import Candidate, Task
from routing.prepare import SolverInput


def run_tasks(inp: SolverInput, tasks: list[Task]) -> list[Candidate]:
    out = []
    for solver, option, deadline in tasks:
        if solver == "ortools":
            from routing.ortools_solver import solve_ortools

            out.append(solve_ortools(inp, deadline=deadline, config=str(option)))
        else:
            from routing.pyvrp_solver import solve_pyvrp

            rests = solver == "pyvrp-rests"  # the stand-in with break clients (build_data)
            out.append(
                solve_pyvrp(inp, deadline=deadline, seed=int(option), relax=rests, rests=rests)
            )
    return out


def main() -> None:
    inp, tasks = pickle.load(sys.stdin.buffer)
    sys.stdout.buffer.write(pickle.dumps(run_tasks(inp, tasks)))
    sys.stdout.buffer.flush()
    # Close now: the parent reads to end-of-file, and tearing down OR-Tools and PyVRP at exit
    # can take longer than the margin left before the caller's deadline.
    sys.stdout.close()


if __name__ == "__main__":
    main()
