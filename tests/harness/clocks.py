"""Scenario 6 at any size, the child's side (``python -m tests.harness skew STEPS``).

Phone clocks ±24 h in the payloads, the server's clock stepped back an hour half-way
(time-machine, so in-process), a second device pulling after every push. Runs on the seeded
world of ``world.py``; answers the ops sent, their statuses, what the pulls skipped and
which record kinds a fresh install sees differently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.harness.ops import iso, note_op, prospect_op, visit_op
from tests.harness.phone import apply_pull


def skew_here(steps: int) -> dict[str, Any]:
    import time_machine

    from fieldcrm.access import scoped
    from fieldcrm.accounts.models import Account
    from fieldcrm.sync.selectors import sync_pull
    from fieldcrm.sync.services import sync_push
    from fieldcrm.territories.models import Territory
    from fieldcrm.users.models import User

    rep = User.objects.get(username="rep1")
    box = list(Territory.objects.get(name="T1").boundary.extent)
    shops = [str(pk) for pk in scoped(Account, rep).values_list("pk", flat=True)[:3]]

    def pull_into(view: dict, cursor: int) -> int:
        while True:
            body = sync_pull(actor=rep, cursor=cursor, limit=50)
            apply_pull(view, body)
            cursor = body["cursor"]
            if not body["more"]:
                return cursor

    view: dict = {}
    cursor = pull_into(view, 0)
    sent, statuses = [], []
    now = dt.datetime.now(dt.UTC)
    for step in range(steps):
        phone_now = now + dt.timedelta(hours=24 * (1, -1, 0)[step % 3])
        ops = [
            visit_op(shops[step % 3], box, when=phone_now - dt.timedelta(hours=1)),
            prospect_op(box),
            note_op(shops[(step + 1) % 3]),
        ]
        ops[2]["fields"]["occurred_at"] = iso(phone_now)
        server_now = now - dt.timedelta(hours=1) if step >= steps // 2 else now
        with time_machine.travel(server_now + dt.timedelta(seconds=step), tick=True):
            statuses += [r["status"] for r in sync_push(actor=rep, mutations=ops)]
            sent += ops
            cursor = pull_into(view, cursor)
    plural = {"visit": "visits", "account": "accounts", "activity": "activities"}
    skipped = [m["id"] for m in sent if m["id"] not in view.get(plural[m["entity"]], {})]
    fresh: dict = {}
    pull_into(fresh, 0)
    differs = sorted(
        p for p in set(view) | set(fresh) if set(view.get(p, {})) != set(fresh.get(p, {}))
    )
    return {"ops": sent, "statuses": statuses, "skipped": skipped, "fresh_differs": differs}
