"""Celery jobs of the notifications app, run by Celery beat in production (settings.py's
CELERY_BEAT_SCHEDULE); ``manage.py run_worker`` runs the same two functions in the embedded
default. Both are safe to run anywhere, any number of times at once: reminders are unique by
key and every delivery is claimed before it is sent."""

from __future__ import annotations

from celery import shared_task

from fieldcrm.notifications.delivery import deliveries_send
from fieldcrm.notifications.digest import digests_run
from fieldcrm.notifications.reminders import reminders_run

REMIND_JOB = "fieldcrm.notifications.remind"
DELIVER_JOB = "fieldcrm.notifications.deliver"


@shared_task(name=REMIND_JOB, ignore_result=True)
def notifications_remind_job() -> dict[str, int]:
    """Create the reminders due now, then send what is due."""
    made = dict(reminders_run() + digests_run())
    notifications_deliver_job.delay()
    return made


@shared_task(name=DELIVER_JOB, ignore_result=True)
def notifications_deliver_job() -> dict[str, int]:
    return deliveries_send()
