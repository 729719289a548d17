"""What a phone queues while offline: sync mutations in the push API's shape.

Each has a client-generated ``op_id`` and record id, as the phone app makes them.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any


def op(entity: str, action: str, record_id: Any = None, **kw: Any) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "entity": entity,
        "action": action,
        "id": str(record_id or uuid.uuid4()),
        **kw,
    }


def iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def visit_op(
    account_id: str,
    box: list[float],
    when: dt.datetime | None = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """A visit logged offline: one create with status done, a next step on one in three."""
    rng = rng or random.Random()
    when = when or dt.datetime.now(dt.UTC)
    fields = {
        "account_id": account_id,
        "status": "done",
        "outcome": rng.choice(["order", "follow_up", "not_met"]),
        "notes": f"note {uuid.uuid4().hex[:8]}",
        "check_in": {
            "location": {"lat": (box[1] + box[3]) / 2, "lng": (box[0] + box[2]) / 2},
            "accuracy_m": 10,
            "at": iso(when),
        },
        "completed_at": iso(when + dt.timedelta(minutes=15)),
    }
    if rng.random() < 0.33:
        fields["next_step"] = {"title": "Call back", "due_at": iso(when + dt.timedelta(days=3))}
    return op("visit", "create", fields=fields)


def prospect_op(box: list[float], rng: random.Random | None = None) -> dict[str, Any]:
    """A prospect found on the street, somewhere inside ``box``."""
    rng = rng or random.Random()
    lng = box[0] + (box[2] - box[0]) * rng.uniform(0.1, 0.9)
    lat = box[1] + (box[3] - box[1]) * rng.uniform(0.1, 0.9)
    return op(
        "account",
        "create",
        fields={
            "name": f"Prospect {uuid.uuid4().hex[:6]}",
            "status": "prospect",
            "location": {"lat": lat, "lng": lng},
        },
    )


def note_op(account_id: str) -> dict[str, Any]:
    return op(
        "activity",
        "create",
        fields={"account_id": account_id, "kind": "note", "subject": f"n {uuid.uuid4().hex[:6]}"},
    )


def mixed_ops(rep: dict, n: int, rng: random.Random) -> list[dict]:
    """A day's outbox: mostly logged visits, some prospects and notes."""
    out = []
    for _ in range(n):
        roll = rng.random()
        account = rng.choice(rep["accounts"])
        if roll < 0.6:
            out.append(visit_op(account, rep["box"], rng=rng))
        elif roll < 0.8:
            out.append(prospect_op(rep["box"], rng))
        else:
            out.append(note_op(account))
    return out
