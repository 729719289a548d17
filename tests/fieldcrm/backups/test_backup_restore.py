"""manage.py backup / restore on the suite's database (SpatiaLite and PostGIS alike)."""

from __future__ import annotations

import tarfile

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from fieldcrm.accounts.models import Account
from fieldcrm.attachments.models import Attachment
from fieldcrm.backups import archive, services
from fieldcrm.core.models import SyncEpoch, sync_epoch
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit
from tests.factories import make_account

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "correct horse battery staple"


@pytest.fixture
def installation(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FIELDCRM_BACKUP_DIR = tmp_path / "backups"
    (settings.VAR_DIR / "keys").mkdir(parents=True)
    (settings.VAR_DIR / "secret-key.txt").write_text("the-installation-secret")
    (settings.VAR_DIR / "keys" / "vapid.pem").write_text("push key")
    shops = [make_account(f"Shop {i}", lng=1.02 + i * 0.01, lat=42.03) for i in range(5)]
    Visit.objects.create(account=shops[0], rep=world.rep1, status="done", notes="kept")
    return shops


def counts():
    return {
        "users": User.objects.count(),
        "accounts": Account.all_objects.count(),
        "visits": Visit.all_objects.count(),
    }


def test_a_backup_verifies_and_restores_what_it_held_and_nothing_after(installation, world):
    before = counts()
    epoch = sync_epoch()  # the backup holds it too
    path = services.backup_create(passphrase=SECRET, progress=lambda _m: None)
    assert path.suffix == ".fcbackup"
    report = services.backup_verify(path=path, passphrase=SECRET, progress=lambda _m: None)
    assert report["counts"]["accounts_account"] == before["accounts"]
    # The archive holds nothing readable without the passphrase.
    with tarfile.open(path) as outer:
        assert sorted(outer.getnames()) == ["FORMAT.json", "key.age", "key.json", "payload.age"]
        assert b"Shop 0" not in outer.extractfile("payload.age").read()

    # Work after the backup, then a disaster: it is gone after the restore, the rest is back.
    make_account("After the backup", lng=1.1, lat=42.05)
    Account.objects.filter(name="Shop 1").delete()
    with pytest.raises(services.BackupRefused):
        services.backup_restore(path=path, passphrase=SECRET, progress=lambda _m: None)
    report = services.backup_restore(
        path=path, passphrase=SECRET, force=True, progress=lambda _m: None
    )
    assert counts() == before
    assert set(Account.objects.values_list("name", flat=True)) == {f"Shop {i}" for i in range(5)}
    # A new sync epoch, so phones re-send what the backup lacks (README, "Phones after a restore").
    assert report["epoch"] == sync_epoch() != epoch
    assert SyncEpoch.objects.count() == 1
    assert Visit.objects.get().notes == "kept"


def test_after_a_restore_sessions_and_tokens_from_before_it_are_dead(installation, world, settings):
    client = Client()
    client.force_login(world.manager)
    assert client.get("/api/v1/auth/me").status_code == 200
    path = services.backup_create(passphrase=SECRET, progress=lambda _m: None)
    # Revoked after the backup: the restore must not bring that session back to life.
    assert Session.objects.exists()
    services.backup_restore(path=path, passphrase=SECRET, force=True, progress=lambda _m: None)
    assert not Session.objects.exists()
    assert client.get("/api/v1/auth/me").status_code == 401
    # Keys come back too.
    (settings.VAR_DIR / "keys" / "vapid.pem").unlink()
    services.backup_restore(path=path, passphrase=SECRET, force=True, progress=lambda _m: None)
    assert (settings.VAR_DIR / "keys" / "vapid.pem").read_text() == "push key"


def test_a_wrong_passphrase_or_a_damaged_archive_is_refused_and_changes_nothing(installation):
    path = services.backup_create(passphrase=SECRET, progress=lambda _m: None)
    before = counts()
    with pytest.raises(archive.ArchiveError, match="wrong passphrase"):
        services.backup_restore(path=path, passphrase="guess", force=True, progress=print)
    with tarfile.open(path) as outer:
        payload = outer.getmember("payload.age")
    data = bytearray(path.read_bytes())
    data[payload.offset_data + payload.size // 2] ^= 0xFF  # a flipped byte inside the payload
    damaged = path.with_name("damaged.fcbackup")
    damaged.write_bytes(bytes(data))
    with pytest.raises(archive.ArchiveError):
        services.backup_verify(path=damaged, passphrase=SECRET, progress=print)
    with pytest.raises(archive.ArchiveError):
        services.backup_restore(path=damaged, passphrase=SECRET, force=True, progress=print)
    assert counts() == before


def test_the_commands_back_up_verify_keep_the_newest_and_restore(installation, tmp_path, capsys):
    secret_file = tmp_path / "passphrase"
    secret_file.write_text(SECRET + "\n")
    for _ in range(3):
        call_command("backup", "--verify", "--keep", "2", "--passphrase-file", str(secret_file))
    out = capsys.readouterr().out
    assert "verified:" in out and "removed" in out
    # Progress: the database's (pages copied, or each table dumped), then what was sealed.
    assert ("database: public.accounts_account" in out) or ("pages" in out)
    assert "uploads" in out and "uploaded files" in out
    archives = sorted((tmp_path / "backups").glob("*.fcbackup"))
    assert len(archives) == 2
    call_command("restore", str(archives[-1]), "--check", "--passphrase-file", str(secret_file))
    with pytest.raises(CommandError, match="holds data"):
        call_command("restore", str(archives[-1]), "--passphrase-file", str(secret_file))
    with pytest.raises(CommandError, match="no such archive"):
        call_command("restore", str(tmp_path / "missing"), "--passphrase-file", str(secret_file))


def test_after_a_point_in_time_recovery_restore_recovered_starts_a_new_epoch(installation, world):
    # A database recovered in place (deploy/postgres/restore-to.sh) keeps its epoch row:
    # `restore --recovered` does what a restore does after loading the archive.
    client = Client()
    client.force_login(world.manager)
    epoch, accounts = sync_epoch(), counts()
    call_command("restore", "--recovered")
    assert sync_epoch() != epoch and SyncEpoch.objects.count() == 1
    assert not Session.objects.exists()
    assert client.get("/api/v1/auth/me").status_code == 401
    assert counts() == accounts  # the data is what the recovery left
    with pytest.raises(CommandError, match="no archive"):
        call_command("restore", "somefile", "--recovered")
    with pytest.raises(CommandError, match="name the archive"):
        call_command("restore")


PDF = b"%PDF-1.7\n%an offer, kept across the restore\n"


def _upload(world, account, name: str, content: bytes) -> int:
    client = Client()
    client.force_login(world.rep1)
    response = client.post("/api/v1/attachments", {
        "record_type": "account", "record_id": str(account.pk),
        "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
    })  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _download(world, attachment_id: int) -> tuple[int, bytes]:
    client = Client()  # a new login: the restore ended every session
    client.force_login(world.manager)
    response = client.get(f"/api/v1/attachments/{attachment_id}/download")
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response.status_code, body


def _media_files(settings) -> list[str]:
    return sorted(p.name for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())


def test_uploaded_files_are_archived_checked_and_restored_with_their_rows(
    installation, world, settings
):
    kept = _upload(world, installation[0], "offer.pdf", PDF)
    path = services.backup_create(passphrase=SECRET, progress=lambda _m: None)
    with tarfile.open(path) as outer:  # sealed like the rest
        assert b"an offer" not in outer.extractfile("payload.age").read()
    report = services.backup_verify(path=path, passphrase=SECRET, progress=lambda _m: None)
    assert report["uploads"] == 1

    after = _upload(world, installation[1], "later.pdf", PDF + b"later\n")
    assert len(_media_files(settings)) == 2
    # The kept file damaged on disk, as by a disk fault: the restore brings its bytes back.
    stored = Attachment.objects.get(pk=kept).file.name
    (settings.MEDIA_ROOT / stored).write_bytes(b"garbage")
    services.backup_restore(path=path, passphrase=SECRET, force=True, progress=lambda _m: None)

    assert _download(world, kept) == (200, PDF)
    # Uploaded after the backup: its row is gone with the database, its file with it.
    assert not Attachment.objects.filter(pk=after).exists()
    assert _download(world, after)[0] == 404
    assert _media_files(settings) == [stored.rsplit("/", 1)[-1]]


def test_verify_refuses_an_archive_whose_attachment_lacks_its_file(installation, world, settings):
    attachment = _upload(world, installation[0], "offer.pdf", PDF)
    # The file gone behind the app's back (not through it, which would remove the row first).
    (settings.MEDIA_ROOT / Attachment.objects.get(pk=attachment).file.name).unlink()
    path = services.backup_create(passphrase=SECRET, progress=lambda _m: None)
    with pytest.raises(archive.ArchiveError, match="attachment rows name a file"):
        services.backup_verify(path=path, passphrase=SECRET, progress=lambda _m: None)
