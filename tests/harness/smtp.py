"""A real SMTP server on a free loopback port (aiosmtpd), keeping every message it accepts.

Tests send through Django's SMTP backend to it, so what they check is what a mail server got
on the wire (headers, both parts, encodings), not what the locmem backend was handed.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.harness.env import free_port


@dataclass
class Inbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: int = 0  # answer this many DATA commands with a transient error first
    delay: float = 0.0  # seconds each DATA takes (so a killed sender dies mid-run)
    arrivals: list[float] = field(default_factory=list)  # time.time() of each message kept
    # The client end (host, port) of each message kept: one port per SMTP connection.
    peers: list[tuple[str, int]] = field(default_factory=list)
    drop_at: int | None = None  # the DATA of this message (1-based) cuts the connection instead
    _seen: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self._seen += 1
            if self._seen == self.drop_at:
                # The line goes dead under the client mid-batch: no reply, connection gone.
                server.transport.abort()
                return "421 Connection dropped"
            if self.refuse > 0:
                self.refuse -= 1
                return "451 Try again later"
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.arrivals.append(time.time())
            self.peers.append(tuple(session.peer[:2]))
        return "250 OK"


@contextlib.contextmanager
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox(host="127.0.0.1", port=free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
