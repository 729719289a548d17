"""The inbound receiver: an aiosmtpd handler that hands each message to ``inbound``.

Why this mechanism: it needs nothing outside the installation (aiosmtpd is a pinned Python
package, already what the tests' SMTP server runs on), it is push, not polling, and an MTA in
front of it (Postfix ``transport_maps`` to ``lmtp:127.0.0.1:2525``, or ``pipe`` into
``receive_mail --stdin``) keeps the mail queued while it is down. A message is acknowledged
(250) only after it is committed; any error answers 451, so the sending server tries again
and nothing is lost (and a repeat is a duplicate Message-ID, logged once)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.db import close_old_connections

from fieldcrm.emails.inbound import Received, email_receive

log = logging.getLogger(__name__)


def receive_one(raw: bytes) -> Received:
    """One message, in a worker thread with its own database connection."""
    close_old_connections()
    try:
        return email_receive(raw=raw)
    finally:
        close_old_connections()


class InboundHandler:
    """aiosmtpd's handler: DATA → ``email_receive`` off the event loop (the ORM is sync)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        try:
            loop = asyncio.get_running_loop()
            received = await loop.run_in_executor(None, receive_one, bytes(raw))
        except Exception:  # the sender keeps the mail and tries again
            log.exception("inbound mail not logged")
            return "451 Not logged, try again later"
        log.info("inbound mail %s", received.outcome)
        return "250 OK"
