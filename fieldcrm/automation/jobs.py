"""Celery job of the automation app (beat: settings.CELERY_BEAT_SCHEDULE): process the outbox
of domain events, then send what it queued. ``manage.py run_worker`` runs the same step
(registered in apps.py). Safe anywhere, any number at once: events are claimed, runs unique."""

from __future__ import annotations

from celery import shared_task

from fieldcrm.automation.engine import events_process
from fieldcrm.automation.schedule import time_events_scan
from fieldcrm.notifications.jobs import notifications_deliver_job

EVENTS_JOB = "fieldcrm.automation.events"


@shared_task(name=EVENTS_JOB, ignore_result=True)
def automation_events_job() -> dict[str, int]:
    # Time-based triggers first (idempotent by key, so every worker may run it at once).
    done = {**time_events_scan(), **events_process()}
    if done.get("webhook_queued") or done.get("rule_done"):
        notifications_deliver_job.delay()
    return done
