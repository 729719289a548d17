"""Celery job of the backups app: beat asks every few minutes; the job writes the day's
archive only when it is due (``schedule.backup_due``), so a missed tick or a second worker
changes nothing. ``manage.py run_worker`` calls the same function in the embedded default."""

from __future__ import annotations

from celery import shared_task

from fieldcrm.backups.schedule import backups_scheduled_run

BACKUP_JOB = "fieldcrm.backups.scheduled"


@shared_task(name=BACKUP_JOB, ignore_result=True)
def backups_scheduled_job() -> dict[str, int]:
    return backups_scheduled_run()
