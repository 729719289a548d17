"""The harness's child processes: ``python -m tests.harness seed|skew|interleave ARGS``,
``mail_reps`` / ``due_tasks N`` (the reminders fault run, tests/harness/reminders.py), and
``backup`` / ``restore ARCHIVE`` (issue 23: through the backups services, passphrase
``restore.PASSPHRASE``; ``restore`` answers the new epoch and a new token per user, since it
ends every token issued before it).

Each sets Django up on ``DATABASE_URL`` (see ``env.base_env``) and prints its answer as one
line of JSON; ``interleave`` exits 1 when its report holds a failure.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    import django

    django.setup()
    command = argv[0]
    if command in ("backup", "restore"):
        from tests.harness.restore import backup_here, restore_here

        answer = backup_here() if command == "backup" else restore_here(argv[1])
        print(json.dumps(answer))
        return 0
    args = [int(a) for a in argv[1:]]
    if command == "seed":
        from tests.harness.world import seed_here

        print(json.dumps(seed_here(*args)))
        return 0
    if command in ("mail_reps", "due_tasks"):
        from tests.harness import reminders

        here = reminders.mail_reps_here if command == "mail_reps" else reminders.due_tasks_here
        print(json.dumps(here(*args)))
        return 0
    if command == "skew":
        from tests.harness.clocks import skew_here

        print(json.dumps(skew_here(*args)))
        return 0
    if command == "interleave":
        from tests.harness import interleave

        report = interleave.run(*args)
        print(json.dumps(report))
        return 0 if report["failures"] == 0 else 1
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
