"""Run the inbound mail receiver (SMTP or LMTP), or log one message read from stdin."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from fieldcrm.emails.receiver import InboundHandler, receive_one


class LMTPController(Controller):
    """aiosmtpd's Controller serving LMTP (its ``factory`` hook, as its docs show)."""

    def factory(self) -> LMTP:
        return LMTP(self.handler)


class Command(BaseCommand):
    help = "Receive mail for the CRM's dropbox (replies, BCC'd mails, bounces) and log it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.FIELDCRM_INBOUND_HOST)
        parser.add_argument("--port", type=int, default=settings.FIELDCRM_INBOUND_PORT)
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
        parser.add_argument(
            "--stdin", action="store_true", help="log one message read from stdin (MTA pipe)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["stdin"]:
            self.stdout.write(receive_one(sys.stdin.buffer.read()).outcome)
            return
        kind = LMTPController if options["lmtp"] else Controller
        controller = kind(InboundHandler(), hostname=options["host"], port=options["port"])
        controller.start()
        self.stdout.write(f"receiving mail on {options['host']}:{options['port']}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
