"""Scheduled backups: one verified archive a day at FIELDCRM_BACKUP_AT, the newest N kept."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from fieldcrm.backups import schedule
from fieldcrm.notifications import clock

UTC = dt.UTC


def archive(directory, when: dt.datetime):
    path = directory / f"fieldcrm-{when:%Y%m%d-%H%M%S}-000000.fcbackup"
    path.write_bytes(b"x")
    return path


@pytest.fixture
def folder(settings, tmp_path):
    settings.TIME_ZONE = "Europe/Helsinki"  # UTC+2 in March: 02:30 local is 00:30 UTC
    settings.FIELDCRM_BACKUP_AT = dt.time(2, 30)
    settings.FIELDCRM_BACKUP_DIR = tmp_path / "backups"
    settings.FIELDCRM_BACKUP_DIR.mkdir()
    return settings.FIELDCRM_BACKUP_DIR


def test_the_slot_is_the_latest_local_time_at_or_before_now(folder, settings):
    slot = dt.datetime(2026, 3, 4, 0, 30, tzinfo=UTC)
    assert schedule.slot_latest(dt.datetime(2026, 3, 4, 0, 30, tzinfo=UTC)) == slot
    assert schedule.slot_latest(dt.datetime(2026, 3, 4, 23, 0, tzinfo=UTC)) == slot
    assert schedule.slot_latest(dt.datetime(2026, 3, 4, 0, 29, tzinfo=UTC)) == slot - dt.timedelta(
        days=1
    )
    settings.FIELDCRM_BACKUP_AT = None
    assert schedule.slot_latest(dt.datetime(2026, 3, 4, 12, tzinfo=UTC)) is None


def test_a_day_is_due_until_an_archive_newer_than_its_slot_exists(folder):
    now = dt.datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    slot = dt.datetime(2026, 3, 4, 0, 30, tzinfo=UTC)
    archive(folder, slot - dt.timedelta(minutes=1))  # yesterday's, just before today's slot
    (folder / "notes.txt").write_text("not an archive")
    assert schedule.backup_due(now=now, directory=folder) == slot
    archive(folder, slot + dt.timedelta(minutes=5))  # made by hand after the slot: it counts
    assert schedule.backup_due(now=now, directory=folder) is None


def test_a_failure_is_retried_after_an_hour_not_every_round(folder):
    slot = dt.datetime(2026, 3, 4, 0, 30, tzinfo=UTC)
    failed = folder / ".last-failure"
    failed.touch()
    at = slot + dt.timedelta(minutes=10)
    os.utime(failed, (at.timestamp(), at.timestamp()))
    assert schedule.backup_due(now=at + dt.timedelta(minutes=59), directory=folder) is None
    assert schedule.backup_due(now=at + dt.timedelta(minutes=61), directory=folder) == slot


def test_the_embedded_default_makes_its_passphrase_once_and_keeps_it(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.FIELDCRM_BACKUP_PASSPHRASE = ""
    first = schedule.passphrase_get()
    assert len(first) >= 24 and schedule.passphrase_get() == first
    assert (settings.VAR_DIR / "backup-passphrase.txt").stat().st_mode & 0o077 == 0
    settings.PRODUCTION = True  # production never invents one: it is set, or backups say so
    settings.VAR_DIR = tmp_path / "elsewhere"
    assert schedule.passphrase_get() == ""


@pytest.mark.django_db(transaction=True)
def test_run_worker_writes_one_verified_archive_a_day_and_keeps_the_newest(world, folder, settings):
    settings.VAR_DIR = folder.parent / "var"
    settings.FIELDCRM_BACKUP_PASSPHRASE = "scheduled secret"
    settings.FIELDCRM_BACKUP_KEEP = 2
    now = dt.datetime.now(UTC)
    for days in (3, 2):  # two old archives: after today's, only the newest two remain
        archive(folder, now - dt.timedelta(days=days))
    settings.FIELDCRM_BACKUP_AT = (
        (now - dt.timedelta(minutes=1)).astimezone(ZoneInfo(settings.TIME_ZONE)).time()
    )
    with clock.frozen(now):
        call_command("run_worker", "--once")
        call_command("run_worker", "--once")  # the same day again: nothing more
    kept = sorted(folder.glob("*.fcbackup"))
    assert len(kept) == 2 and kept[0].stat().st_size == 1  # the newest old one, then today's
    assert kept[1].stat().st_size > 1000
    call_command("restore", str(kept[1]), "--check", "--passphrase-file", str(write(folder)))


def write(folder):
    path = folder.parent / "pass.txt"
    path.write_text("scheduled secret")
    return path
