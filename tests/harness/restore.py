"""Issue 23 at the harness's scale: phones that go on through a backup and a restore.

``JournalPhone`` is the phone app's sync (pwa/static/pwa/js/sync.js, outbox.js, db.js) over
HTTP, in Python: an outbox, a journal of what the server acknowledged with the epoch it was
acknowledged in, a cursor that counts in the epoch it knows. Meeting a new epoch (a 409 on
push, or a pull's ``epoch``) it keeps its outbox, sends the journal's items of other epochs
again (oldest first, before the outbox), pulls from cursor 0 and then drops what that pull did
not bring. ``backup_here`` / ``restore_here`` are the children's side (Django set up).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.harness.phone import LEDGER, SETTLED, Transient, _ledger_sent, apply_pull, http

PASSPHRASE = "harness-restore-passphrase"
ACKNOWLEDGED = {"applied", "already_applied", "conflict"}


def backup_here() -> dict[str, Any]:
    from fieldcrm.backups import services

    return {"path": str(services.backup_create(passphrase=PASSPHRASE, progress=lambda _m: None))}


def restore_here(path: str) -> dict[str, Any]:
    """Restore (over the data, as after a disaster), then give every user a fresh token: the
    restore ended the old ones, and the phones' reps log in again."""
    from pathlib import Path

    from fieldcrm.backups import services
    from fieldcrm.users.models import User
    from fieldcrm.users.services import token_create

    report = services.backup_restore(
        path=Path(path), passphrase=PASSPHRASE, force=True, progress=lambda _m: None
    )
    tokens = {u.username: token_create(user=u, name="after restore")[1] for u in User.objects.all()}
    return {"epoch": report["epoch"], "tokens": tokens}


@dataclass
class JournalPhone:
    server: str
    token: str
    outbox: list[dict] = field(default_factory=list)
    journal: list[dict] = field(default_factory=list)  # {"mutation", "epoch"}, oldest first
    epoch: str | None = None
    cursor: int = 0
    resync: str | None = None
    view: dict[str, dict[str, dict]] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)  # pulled during a resync
    answers: dict[str, list[str]] = field(default_factory=dict)  # op_id -> statuses, in order
    epochs_met: int = 0

    def _meet(self, epoch: str | None) -> bool:
        if not epoch or epoch == self.epoch:
            return False
        if self.epoch is None:
            self.epoch = epoch
            return False
        self.epoch, self.cursor, self.resync = epoch, 0, epoch
        self.seen = set()
        self.epochs_met += 1
        return True

    def _push(self, mutations: list[dict]) -> tuple[str, dict]:
        body: dict[str, Any] = {"device_id": "journal", "mutations": mutations}
        if self.epoch:
            body["epoch"] = self.epoch
        status, answer = http("POST", f"{self.server}/api/v1/sync/push", self.token, body)
        _ledger_sent(mutations)
        if status == 409 and isinstance(answer, dict) and answer.get("code") == "epoch_changed":
            return "epoch", answer
        if status != 200:
            raise Transient(f"{status}: {str(answer)[:300]}")
        return "ok", answer

    def sync(self, batch: int = 100) -> None:
        """Push (journal first), then pull to the end; from the top on a new epoch."""
        for _ in range(4):
            if self._push_all(batch) and self._pull_all():
                return
        raise AssertionError("the epoch kept changing")

    def _push_all(self, batch: int) -> bool:
        while True:
            stale = [e for e in self.journal if e["epoch"] != self.epoch] if self.epoch else []
            from_journal = bool(stale)
            chunk = [e["mutation"] for e in stale[:batch]] if stale else self.outbox[:batch]
            if not chunk:
                return True
            kind, answer = self._push(chunk)
            if kind == "epoch":
                self._meet(answer["epoch"])
                return False
            if self._meet(answer["epoch"]):
                return False
            by_op = {r["op_id"]: r for r in answer["results"]}
            for r in answer["results"]:
                LEDGER["answers"].setdefault(r["op_id"], []).append(r["status"])
                self.answers.setdefault(r["op_id"], []).append(r["status"])
            if from_journal:
                for entry in stale[:batch]:
                    result = by_op[entry["mutation"]["op_id"]]
                    if result["status"] in ACKNOWLEDGED:
                        entry["epoch"] = answer["epoch"]
                    elif result["status"] == "rejected":
                        self.journal.remove(entry)
                continue
            for mutation in chunk:
                result = by_op[mutation["op_id"]]
                assert result["status"] in SETTLED, result
                self.outbox.remove(mutation)
                if result["status"] in ACKNOWLEDGED:
                    self.journal.append({"mutation": mutation, "epoch": answer["epoch"]})

    def _pull_all(self, limit: int = 500) -> bool:
        while True:
            url = f"{self.server}/api/v1/sync/pull?cursor={self.cursor}&limit={limit}"
            if self.epoch:
                url += f"&epoch={self.epoch}"
            status, body = http("GET", url, self.token)
            if status != 200:
                raise Transient(f"{status}: {str(body)[:300]}")
            if self._meet(body["epoch"]):
                return False
            apply_pull(self.view, body)
            if self.resync:
                self.seen |= {(p, r["id"]) for p, rows in body["changes"].items() for r in rows}
            self.cursor = body["cursor"]
            if not body["more"]:
                break
        if self.resync:
            queued = {m["id"] for m in self.outbox}
            for plural, rows in self.view.items():
                for rid in [r for r in rows if (plural, r) not in self.seen and r not in queued]:
                    rows.pop(rid)
            self.resync = None
        return True
