"""Backups an administrator can trust: make one while the app runs, verify it, restore it.

What an archive holds: the database (a consistent snapshot), the installation's files (the
generated secret key and anything under ``var/keys/``, e.g. push keys), the uploaded files
(every file under MEDIA_ROOT: attachments) and a manifest (format, time, the database's vendor
and migration state, rows per table, a checksum per member).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from fieldcrm.accounts.models import Account
from fieldcrm.backups import archive, snapshot
from fieldcrm.core.models import SyncEpoch, sync_epoch
from fieldcrm.users.models import User

Progress = Callable[[str], None]


class BackupRefused(Exception):
    pass


def _files() -> dict[str, Path]:
    """The installation's files to keep, by their name in the archive."""
    var = Path(settings.VAR_DIR)
    found = {}
    key = var / "secret-key.txt"
    if key.is_file():
        found["files/var/secret-key.txt"] = key
    for path in sorted((var / "keys").rglob("*")) if (var / "keys").is_dir() else []:
        if path.is_file():
            found[f"files/var/keys/{path.relative_to(var / 'keys')}"] = path
    return found


MEDIA = "files/media/"
# The rows that name an uploaded file: each must find its file in the archive.
FILE_COLUMNS = ("attachments_attachment", "file")


def _media() -> dict[str, Path]:
    """Every file under MEDIA_ROOT (where Django's default storage keeps uploads), listed
    *after* the database snapshot: an upload writes its bytes before its row and a deletion
    removes them after its row, so every row of the snapshot finds its file here (one
    uploaded since is archived too, without a row: the restore leaves no such orphan)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return {}
    return {
        f"{MEDIA}{p.relative_to(root).as_posix()}": p
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connections["default"]).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def backup_create(
    *, passphrase: str, directory: Path | None = None, progress: Progress = print
) -> Path:
    """Write one archive into ``directory`` (default ``FIELDCRM_BACKUP_DIR``); returns its path."""
    directory = Path(directory or settings.FIELDCRM_BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    path = directory / f"fieldcrm-{now:%Y%m%d-%H%M%S}-{now.microsecond:06d}.fcbackup"
    with tempfile.TemporaryDirectory(prefix="fieldcrm-backup-") as tmp:
        db_file = Path(tmp) / "database"
        name, counts = snapshot.dump(db_file, progress=progress)
        files, media = _files(), _media()
        members = {name: db_file, **files, **media}
        manifest = {
            "created_at": now.isoformat(),
            "database": {"vendor": snapshot.vendor(), "file": name, "counts": counts},
            "migrations": _migrations(),
            "files": sorted(files),
        }
        progress(f"encrypting the database, {len(files)} key files and {len(media)} uploads")
        # An upload deleted since it was listed is left out (its row is not in the snapshot).
        written = archive.write(
            path, passphrase=passphrase, members=members, manifest=manifest,
            optional=frozenset(media),
        )  # fmt: skip
    uploads = sum(n.startswith(MEDIA) for n in written["sha256"])
    progress(f"written {path} ({path.stat().st_size:,} bytes, {uploads} uploaded files)")
    return path


def backup_verify(*, path: Path, passphrase: str, progress: Progress = print) -> dict[str, Any]:
    """Decrypt, check every checksum, restore the database into a scratch database and compare
    its rows per table with the manifest's. Raises ``archive.ArchiveError`` on any difference."""
    with tempfile.TemporaryDirectory(prefix="fieldcrm-verify-") as tmp:
        opened = archive.open_into(path, Path(tmp), passphrase=passphrase)
        db = opened.manifest["database"]
        if db["vendor"] != snapshot.vendor():
            raise archive.ArchiveError(
                f"the archive holds a {db['vendor']} database; this one is {snapshot.vendor()}"
            )
        progress("checksums match; restoring into a scratch database")
        expected: dict[str, int] = db["counts"]
        got, named = snapshot.scratch_counts(
            opened.member(db["file"]), sorted(expected), values_of=FILE_COLUMNS
        )
        differ = {t: (n, got.get(t)) for t, n in expected.items() if got.get(t) != n}
        if differ:
            raise archive.ArchiveError(f"row counts differ (expected, restored): {differ}")
        uploads = {n.removeprefix(MEDIA) for n in opened.manifest["sha256"] if n.startswith(MEDIA)}
        missing = sorted(set(named) - uploads)
        if missing:
            raise archive.ArchiveError(
                f"{len(missing)} attachment rows name a file the archive lacks: {missing[:5]}"
            )
        progress(
            f"verified: {len(expected)} tables, {sum(expected.values()):,} rows, "
            f"{len(uploads)} uploaded files (every attachment's file among them)"
        )
        return {"created_at": opened.manifest["created_at"], "counts": expected,
                "uploads": len(uploads)}  # fmt: skip


def _is_empty() -> bool:
    return not (User.objects.exists() or Account.all_objects.exists())


def backup_restore(
    *, path: Path, passphrase: str, force: bool = False, progress: Progress = print
) -> dict[str, Any]:
    """Restore an archive into this installation. Refuses one that holds data unless ``force``.

    Afterwards every session and token issued before the restore is dead (users log in again;
    phones keep their data and outbox): a revocation made after the backup cannot come back.
    And the sync epoch is new, so phones re-send their journal and pull from zero."""
    if not force and not _is_empty():
        raise BackupRefused(
            "this installation holds data; restore into an empty one, or pass --force to replace it"
        )
    with tempfile.TemporaryDirectory(prefix="fieldcrm-restore-") as tmp:
        opened = archive.open_into(path, Path(tmp), passphrase=passphrase)
        db = opened.manifest["database"]
        if db["vendor"] != snapshot.vendor():
            raise archive.ArchiveError(
                f"the archive holds a {db['vendor']} database; this one is {snapshot.vendor()}"
            )
        # The uploads first: the restored rows never name a file that is not there yet.
        uploads = _put_back_media(opened)
        # Without its epoch row: the restored database starts a new sync epoch (the first
        # reader makes it, below if no phone came first), so phones know to send again what
        # they had sent since the backup and to pull from zero.
        snapshot.load(
            opened.member(db["file"]), progress=progress,
            without_rows_of=[SyncEpoch._meta.db_table],
        )  # fmt: skip
        # Files uploaded after the backup: their rows are gone with the database, so are they.
        gone = _remove_media_except(uploads)
        progress(f"uploaded files: {len(uploads)} restored, {gone} from after the backup removed")
        var = Path(settings.VAR_DIR)
        for name in opened.manifest["files"]:
            target = var / Path(name).relative_to("files/var")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(opened.member(name), target)
            target.chmod(0o600)
    now, epoch = _start_after_restore(progress)
    return {"created_at": opened.manifest["created_at"], "restored_at": now.isoformat(),
            "counts": db["counts"], "epoch": epoch}  # fmt: skip


def _media_target(name: str) -> Path:
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / name.removeprefix(MEDIA)).resolve()
    if not target.is_relative_to(root) or target == root:
        raise archive.ArchiveError(f"an uploaded file outside the media folder: {name}")
    return target


def _put_back_media(opened: archive.Opened) -> set[Path]:
    """Copy the archive's uploads into MEDIA_ROOT (their checksums were checked on opening)."""
    names = [n for n in opened.manifest["sha256"] if n.startswith(MEDIA)]
    targets = {n: _media_target(n) for n in names}  # all checked before any is written
    for name, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(opened.member(name), partial)
        partial.replace(target)
    return set(targets.values())


def _remove_media_except(keep: set[Path]) -> int:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return 0
    gone = 0
    for path in sorted(root.rglob("*")):
        if (path.is_file() or path.is_symlink()) and path.resolve() not in keep:
            path.unlink()
            gone += 1
    return gone


def _start_after_restore(progress: Progress) -> tuple[Any, str]:
    now = timezone.now()
    epoch = sync_epoch()
    Session.objects.all().delete()
    User.objects.update(password_changed_at=now)
    progress("restored; every session and token from before the restore is revoked")
    progress(f"new sync epoch {epoch}: phones send again what the backup lacks, then pull anew")
    return now, epoch


def after_recovery(*, progress: Progress = print) -> dict[str, Any]:
    """What ``backup_restore`` does after loading an archive, for a database brought back
    some other way (PostgreSQL point-in-time recovery, a file copied back by hand): its
    change counter went back while the phones' cursors did not, but it still holds the old
    epoch row, so nothing would tell the phones. A new epoch, and every session and token
    from before is revoked (a revocation made after the recovery point cannot come back)."""
    with transaction.atomic():
        old = SyncEpoch.objects.filter(pk=1).values_list("value", flat=True).first()
        SyncEpoch.objects.filter(pk=1).delete()
    now, epoch = _start_after_restore(progress)
    return {"restored_at": now.isoformat(), "epoch": epoch,
            "previous_epoch": None if old is None else str(old)}  # fmt: skip


def backup_prune(*, keep: int, directory: Path | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` archives; returns the deleted ones."""
    directory = Path(directory or settings.FIELDCRM_BACKUP_DIR)
    archives = sorted(directory.glob("fieldcrm-*.fcbackup"))
    gone = archives[: max(len(archives) - keep, 0)]
    for path in gone:
        path.unlink()
    return gone
