"""Celery jobs of the plans app (inline when no broker is configured)."""

from __future__ import annotations

from celery import shared_task

from fieldcrm.plans.services import PLAN_GENERATE_JOB, plan_job_run


# acks_late + reject_on_worker_lost (also set globally): a worker killed mid-solve leaves the
# message unacknowledged, the broker hands it to another worker, and the re-run replaces the
# drafts of the lost attempt (plans are written in one transaction at the very end).
@shared_task(name=PLAN_GENERATE_JOB, acks_late=True, reject_on_worker_lost=True)
def plan_generate_job(job_id: int) -> int:
    """Plan the job's region and days; returns the job id."""
    return plan_job_run(job_id=job_id).pk
