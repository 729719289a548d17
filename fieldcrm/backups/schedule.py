"""Scheduled backups: one archive a day at ``FIELDCRM_BACKUP_AT`` (local time), verified, then
only the newest ``FIELDCRM_BACKUP_KEEP`` kept.

The schedule's state is the backup folder itself: a day's backup is due when no archive in the
folder is newer than that day's slot, so a restored database, a new worker or a restart never
forgets or repeats one. A lock file in the folder makes a second worker (or a second beat tick
while a long backup runs) skip instead of writing a second archive; a failure is remembered for
an hour in a marker file so a broken disk is retried, not hammered every 15 seconds.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from fieldcrm.backups import services
from fieldcrm.notifications import clock  # the scheduler's one clock (tests move it)

log = logging.getLogger(__name__)
RETRY_AFTER = dt.timedelta(hours=1)
_NAME_TIME = "%Y%m%d-%H%M%S"


def passphrase_get() -> str:
    """The scheduled backups' passphrase: the environment's, else ``var/backup-passphrase.txt``
    — made on first use outside production, so the embedded default backs up with nothing set
    (the README says to keep a copy of it away from the machine: without it no archive opens)."""
    if settings.FIELDCRM_BACKUP_PASSPHRASE:
        return str(settings.FIELDCRM_BACKUP_PASSPHRASE)
    path = Path(settings.VAR_DIR) / "backup-passphrase.txt"
    if not path.exists() and not settings.PRODUCTION:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24) + "\n")
    return path.read_text().strip() if path.exists() else ""


def slot_latest(now: dt.datetime) -> dt.datetime | None:
    """The latest scheduled moment at or before ``now``; None when scheduling is off."""
    at: dt.time | None = settings.FIELDCRM_BACKUP_AT
    if at is None:
        return None
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    slot = dt.datetime.combine(local.date(), at, tzinfo=local.tzinfo)
    if slot > local:
        slot = dt.datetime.combine(local.date() - dt.timedelta(days=1), at, tzinfo=local.tzinfo)
    return slot.astimezone(dt.UTC)


def _archive_time(path: Path) -> dt.datetime | None:
    # fieldcrm-YYYYmmdd-HHMMSS-micro.fcbackup, written by services.backup_create in UTC.
    try:
        stamp = "-".join(path.name.split("-")[1:3])
        return dt.datetime.strptime(stamp, _NAME_TIME).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def backup_due(*, now: dt.datetime, directory: Path) -> dt.datetime | None:
    """The slot a backup is due for now, or None (off, done already, or failed within the hour)."""
    slot = slot_latest(now)
    if slot is None:
        return None
    times = [t for p in directory.glob("fieldcrm-*.fcbackup") if (t := _archive_time(p))]
    if any(t >= slot for t in times):
        return None
    failed = directory / ".last-failure"
    if failed.exists():
        when = dt.datetime.fromtimestamp(failed.stat().st_mtime, tz=dt.UTC)
        if when >= slot and now - when < RETRY_AFTER:
            return None
    return slot


def backups_scheduled_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Make the day's backup if it is due; called by ``run_worker`` and by Celery beat's job."""
    now = now or clock.now()
    directory = Path(settings.FIELDCRM_BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    if backup_due(now=now, directory=directory) is None:
        return {}
    secret = passphrase_get()
    if not secret:
        log.error("scheduled backup skipped: set FIELDCRM_BACKUP_PASSPHRASE")
        return {"backups_skipped": 1}
    with (directory / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return {}  # another worker is writing it
        if backup_due(now=now, directory=directory) is None:
            return {}  # written while we waited for the lock
        path = None
        try:
            path = services.backup_create(passphrase=secret, directory=directory, progress=log.info)
            services.backup_verify(path=path, passphrase=secret, progress=log.info)
        except Exception:
            # Whatever broke (a full disk, a locked database), the next try is in an hour; an
            # archive that did not verify is no backup and must not count as the day's.
            log.exception("scheduled backup failed")
            if path is not None:
                path.unlink(missing_ok=True)
            (directory / ".last-failure").touch()
            return {"backups_failed": 1}
        (directory / ".last-failure").unlink(missing_ok=True)
        pruned = services.backup_prune(keep=settings.FIELDCRM_BACKUP_KEEP, directory=directory)
    log.info("scheduled backup %s written, %d old ones removed", path.name, len(pruned))
    return {"backups": 1}
