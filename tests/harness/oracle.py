"""The oracle: what the server stored for each create a phone sent, read straight from the
tables (plain SQL, no Django): one row per client UUID, its claim, nothing half-saved."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.harness.database import Database

TABLES = {
    "visit": "visits_visit",
    "account": "accounts_account",
    "activity": "accounts_activity",
    "contact": "accounts_contact",
    "task": "tasks_task",
}


def stored_uuid(value: str, db: Database) -> str:
    """A UUID as stored: SQLite keeps 32 hex chars, PostgreSQL a uuid."""
    return uuid.UUID(value).hex if db.kind == "spatialite" else str(uuid.UUID(value))


@dataclass
class Tally:
    sent: int = 0
    applied: int = 0
    duplicated: int = 0
    lost: int = 0
    half_saved: int = 0
    rejected: int = 0
    seconds: float = 0.0

    def add(self, other: Tally) -> None:
        for name in ("sent", "applied", "duplicated", "lost", "half_saved", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _in_chunks(db: Database, sql: str, values: list[str]) -> list[tuple]:
    rows: list[tuple] = []
    for i in range(0, len(values), 500):
        part = values[i : i + 500]
        rows += db.query(sql.format(marks=",".join(["%s"] * len(part))), tuple(part))
    return rows


def _key(value: Any) -> str:
    return uuid.UUID(str(value)).hex


def check_oracle(db: Database, creates: list[dict], expect_rejected=frozenset()) -> Tally:
    """Per create op: its row (by client UUID) and its claim (AppliedOp by op id).

    - row and an applied claim: applied (more than one row would be a duplicate);
    - neither: lost (or not pushed yet);
    - one without the other, or a logged visit without exactly one visit activity: half-saved;
    - an expected rejection: a rejected claim and no row.
    """
    tally = Tally(sent=len(creates))
    rows: dict[str, int] = {}
    by_entity: dict[str, list[dict]] = {}
    for m in creates:
        by_entity.setdefault(m["entity"], []).append(m)
    for entity, ops in by_entity.items():
        ids = [stored_uuid(m["id"], db) for m in ops]
        for pk, n in _in_chunks(
            db,
            f"SELECT id, COUNT(*) FROM {TABLES[entity]} WHERE id IN ({{marks}}) GROUP BY id",
            ids,
        ):
            rows[_key(pk)] = n
        if entity == "visit":
            tally.half_saved += len(
                _in_chunks(
                    db,
                    "SELECT v.id FROM visits_visit v LEFT JOIN accounts_activity a "
                    "ON a.visit_id = v.id AND a.kind = 'visit' WHERE v.id IN ({marks}) "
                    "GROUP BY v.id HAVING COUNT(a.id) <> 1",
                    ids,
                )
            )
    claims = {
        _key(op_id): status
        for op_id, status in _in_chunks(
            db,
            "SELECT op_id, status FROM sync_appliedop WHERE op_id IN ({marks})",
            [stored_uuid(m["op_id"], db) for m in creates],
        )
    }
    for m in creates:
        n, claim = rows.get(_key(m["id"]), 0), claims.get(_key(m["op_id"]))
        if m["op_id"] in expect_rejected:
            tally.rejected += claim == "rejected" and n == 0
            tally.half_saved += claim != "rejected"
            tally.duplicated += n
        elif n == 0 and claim is None:
            tally.lost += 1
        elif n >= 1 and claim in ("applied", "conflict"):
            tally.applied += 1
            tally.duplicated += n - 1
        else:
            tally.half_saved += 1
    return tally
