"""A phone over HTTP: a rep's client with a Bearer token (so no CSRF), an outbox it replays
until every item has a per-item answer, a cursor and a local view fed by pull.

``LEDGER`` keeps every op any Phone sent and every answer it got, for the bench's figures.
"""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# Only these answers settle an outbox item; anything else (5xx, 401, no answer) is transient.
SETTLED = {"applied", "already_applied", "conflict", "rejected"}
LEDGER: dict[str, dict] = {"ops": {}, "answers": {}}
# (method, milliseconds) of every answer's ``Server-Timing``: the server's own time, apart from
# the time the request waited for a worker (bench/sync_load.py prints both).
SERVER_TIMES: list[tuple[str, float]] = []


def ledger_reset() -> None:
    LEDGER["ops"].clear()
    LEDGER["answers"].clear()


def _ledger_sent(mutations: list[dict]) -> None:
    for m in mutations:
        if isinstance(m, dict) and "op_id" in m:
            LEDGER["ops"].setdefault(m["op_id"], m)


class Transient(Exception):
    """A network error, a 5xx or a 401: the outbox keeps the item."""


def http(method: str, url: str, token: str | None, body: Any = None, timeout: float = 60):
    """One JSON request; returns (status, parsed body), for error statuses too."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            timing = re.search(r"dur=([\d.]+)", response.headers.get("Server-Timing") or "")
            if timing:
                SERVER_TIMES.append((method, float(timing.group(1))))
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        try:
            return exc.code, json.loads(payload or b"null")
        except ValueError:
            return exc.code, payload.decode(errors="replace")


def send_and_hang_up(server_url: str, token: str, body: Any) -> None:
    """Send a push and close the socket without reading a byte of the answer."""
    parts = urlsplit(server_url)
    data = json.dumps(body).encode()
    head = (
        f"POST /api/v1/sync/push HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    ).encode()
    _ledger_sent(body["mutations"])
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(head + data)


@dataclass
class Phone:
    server: str
    token: str
    outbox: list[dict] = field(default_factory=list)
    results: dict[str, dict] = field(default_factory=dict)  # op_id -> last settling result
    cursor: int = 0
    view: dict[str, dict[str, dict]] = field(default_factory=dict)  # plural -> id -> record
    statuses: list[int] = field(default_factory=list)

    def push(self, mutations: list[dict], timeout: float = 60) -> list[dict]:
        status, body = http(
            "POST",
            f"{self.server}/api/v1/sync/push",
            self.token,
            {"device_id": "faults", "mutations": mutations},
            timeout,
        )
        self.statuses.append(status)
        _ledger_sent(mutations)
        if status != 200:
            raise Transient(f"{status}: {str(body)[:300]}")
        for result in body["results"]:
            LEDGER["answers"].setdefault(result["op_id"], []).append(result["status"])
        return body["results"]

    def drain(self, batch: int = 100, patience_s: float = 180) -> None:
        """Push the outbox until every item has a per-item answer (only those settle it).

        A server being restarted (a fault scenario) or slowed by a loaded machine is waited for
        up to ``patience_s``: a deadline, not a count of tries, so a slow restart is not taken
        for a lost item. Fifty answered pushes that leave items unsettled are a failure too."""
        deadline, answered = time.monotonic() + patience_s, 0
        while time.monotonic() < deadline and answered < 50:
            if not self.outbox:
                return
            chunk = self.outbox[:batch]
            try:
                results = self.push(chunk)
            except (Transient, OSError):
                time.sleep(0.2)
                continue
            answered += 1
            settled = set()
            for mutation, result in zip(chunk, results, strict=True):
                assert result["op_id"] == mutation["op_id"]
                if result["status"] in SETTLED:
                    self.results[mutation["op_id"]] = result
                    settled.add(mutation["op_id"])
            self.outbox = [m for m in self.outbox if m["op_id"] not in settled]
        raise AssertionError(f"outbox did not drain: {len(self.outbox)} left")

    def pull(self, limit: int = 500) -> dict:
        """Pull until ``more`` is false; apply to the local view."""
        merged: dict[str, Any] = {"changes": {}, "deleted": {}, "removed": {}}
        while True:
            status, body = http(
                "GET",
                f"{self.server}/api/v1/sync/pull?cursor={self.cursor}&limit={limit}",
                self.token,
            )
            self.statuses.append(status)
            if status != 200:
                raise Transient(f"{status}: {str(body)[:300]}")
            apply_pull(self.view, body)
            for key in merged:
                for plural, rows in body[key].items():
                    merged[key].setdefault(plural, []).extend(rows)
            self.cursor = body["cursor"]
            if not body["more"]:
                return merged


def apply_pull(view: dict, body: dict) -> None:
    """One pull page into a local view (plural -> id -> record), as the phone applies it."""
    for plural, rows in body["changes"].items():
        for row in rows:
            view.setdefault(plural, {})[row["id"]] = row
    for plural, ids in body["deleted"].items():
        for pk in ids:
            view.setdefault(plural, {}).pop(pk, None)
    for pk in body["removed"].get("accounts", []):
        view.setdefault("accounts", {}).pop(pk, None)
        for plural in list(view):
            if plural != "accounts":
                for rid, row in list(view[plural].items()):
                    if row.get("account_id") == pk or (row.get("account") or {}) == pk:
                        view[plural].pop(rid)
