"""Plan a region's routes for a date (or N working days) from the shell, with a progress bar."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fieldcrm.core.errors import DomainError
from fieldcrm.plans import services
from fieldcrm.plans.models import PlanJob
from fieldcrm.plans.schemas import job_progress
from fieldcrm.territories.models import Region


class Command(BaseCommand):
    help = "Generate draft route plans for a region's reps (inline, or on Celery with a broker)."

    def add_arguments(self, parser):
        parser.add_argument("--region", help="Region name.")
        parser.add_argument("--date", type=dt.date.fromisoformat, help="First day, YYYY-MM-DD.")
        parser.add_argument("--run-job", type=int, help=argparse.SUPPRESS)  # the child process
        parser.add_argument("--days", type=int, default=1, help="Working days (horizon mode).")
        parser.add_argument("--time-limit", type=float, default=None, help="Seconds in all.")
        parser.add_argument("--provider", choices=["great_circle", "road"], default=None)

    def handle(self, *args, **options) -> None:
        if options["run_job"]:
            services.plan_job_run(job_id=options["run_job"])
            return
        if not options["region"] or not options["date"]:
            raise CommandError("--region and --date are required.")
        region = Region.objects.filter(name__iexact=options["region"]).first()
        if region is None:
            names = ", ".join(Region.objects.values_list("name", flat=True))
            raise CommandError(f"No region {options['region']!r}; regions: {names}.")
        try:
            job = services.plan_job_claim(
                region=region, date=options["date"], horizon_days=options["days"],
                time_limit_s=options["time_limit"], provider=options["provider"],
            )  # fmt: skip
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except services.PlanJobRunning as exc:
            raise CommandError(str(exc)) from exc
        with tqdm(total=100, desc=f"{region.name} {options['date']}", unit="%") as bar:

            def show(pct: int, message: str) -> None:
                bar.set_postfix_str(message[:40])
                bar.update(max(0, pct - bar.n))

            # Without a broker the job runs in a child process: OR-Tools holds the GIL while
            # it searches, so only another process can keep the bar moving meanwhile.
            child = None
            if settings.CELERY_TASK_ALWAYS_EAGER:
                child = subprocess.Popen(
                    [sys.executable, sys.argv[0], "plan_routes", "--run-job", str(job.pk)]
                )
            else:
                services.plan_job_dispatch(job)
            while job.status in (PlanJob.Status.QUEUED, PlanJob.Status.RUNNING):
                time.sleep(0.3)
                job.refresh_from_db()
                show(job_progress(job), job.message)
                if child is not None and child.poll() is not None:
                    job.refresh_from_db()
                    break
        self._report(job)

    def _report(self, job: PlanJob) -> None:
        r = job.result
        self.stdout.write(f"job {job.pk}: {job.status} — {job.message}")
        if job.status != PlanJob.Status.DONE:
            raise CommandError(job.message)
        self.stdout.write(
            f"{r['plans']} plans, {r['visits']} visits, drive {r['drive_s'] / 3600:.1f} h, "
            f"{len(r['dropped'])} left out, {len(r['missing_location'])} without coordinates"
        )
        for warning in r["warnings"]:
            self.stdout.write(f"  warning: {warning}")
        if "cadence" in r:
            self.stdout.write(json.dumps(r["cadence"], indent=2, ensure_ascii=False))
