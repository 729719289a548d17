"""``manage.py run_worker``: the embedded default's scheduler and delivery worker in one loop
(``make run`` starts it beside the server), with the day's scheduled backup. Production runs
Celery beat and workers instead (docker-compose.yml); both call the same functions, and several
of either may run at once."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from fieldcrm.backups.schedule import backups_scheduled_run
from fieldcrm.notifications.delivery import deliveries_send
from fieldcrm.notifications.digest import digests_run
from fieldcrm.notifications.reminders import reminders_run


class Command(BaseCommand):
    help = "Create due reminders and send due deliveries, every --interval seconds."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=15.0, help="seconds between runs")
        parser.add_argument("--once", action="store_true", help="one run, then exit")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set():
            try:
                made, sent = reminders_run() + digests_run(), deliveries_send()
                # The day's backup, when due (a long one delays the next round, nothing else).
                made.update(backups_scheduled_run())
            except Exception as exc:  # a locked database or a mail outage: try next round
                self.stderr.write(f"run_worker: {type(exc).__name__}: {exc}")
            else:
                if made or sent:
                    self.stdout.write(f"made {dict(made)}, deliveries {sent}")
            if once:
                break
            # Between rounds, as between requests: drop a broken or too old connection.
            close_old_connections()
            stop.wait(interval)
