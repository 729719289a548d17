"""One backup archive: the database snapshot, the installation's files, a manifest with
checksums, encrypted with the administrator's passphrase.

All cryptography is age's (the ``pyrage`` bindings): the payload is streamed through age to a
fresh X25519 key made for this archive, and that key is sealed with the passphrase (age's
scrypt mode), so a large database is never held in memory. The outer file is a plain tar:

    FORMAT.json    {"format": "fieldcrm-backup", "version": 1}  (nothing secret)
    key.age        the archive's key, sealed with the passphrase
    payload.age    tar.gz of manifest.json, the database snapshot and files/…, encrypted
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyrage

FORMAT = {"format": "fieldcrm-backup", "version": 1}


class ArchiveError(Exception):
    pass


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(
    path: Path,
    *,
    passphrase: str,
    members: dict[str, Path],
    manifest: dict[str, Any],
    optional: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Write the archive at ``path`` (atomically: a half-written archive never has its name).

    Each member is read once, into the payload, and its SHA-256 taken on the way (a large
    file is never held in memory); the manifest, with those checksums, is the payload's last
    member. A member named in ``optional`` that is gone by the time it is read (an uploaded
    file deleted meanwhile) is left out. Returns the manifest as written."""
    if not passphrase:
        raise ArchiveError("a passphrase is required")
    path.parent.mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as tmp:
        payload = Path(tmp) / "payload.tar.gz"
        with tarfile.open(payload, "w:gz", compresslevel=6) as tar:
            for name, source in sorted(members.items()):
                try:
                    f = source.open("rb")
                except FileNotFoundError:
                    if name in optional:
                        continue
                    raise
                with f:
                    info = tar.gettarinfo(arcname=name, fileobj=f)
                    reader = _Hashing(f)
                    tar.addfile(info, reader)
                    digests[name] = reader.digest.hexdigest()
            manifest = {**manifest, "sha256": digests}
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
        identity = pyrage.x25519.Identity.generate()
        sealed = Path(tmp) / "payload.age"
        with payload.open("rb") as src, sealed.open("wb") as dst:
            pyrage.encrypt_io(src, dst, [identity.to_public()])
        partial = Path(tmp) / "archive"
        with tarfile.open(partial, "w") as outer:
            _add_bytes(outer, "FORMAT.json", json.dumps(FORMAT).encode())
            _add_bytes(
                outer, "key.age", pyrage.passphrase.encrypt(str(identity).encode(), passphrase)
            )
            outer.add(sealed, arcname="payload.age")
        partial.replace(path)
    return manifest


class _Hashing:
    """A file read through, its SHA-256 taken as tarfile copies it."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        block = self.f.read(size)
        self.digest.update(block)
        return block


@dataclass
class Opened:
    """An archive decrypted into ``folder``: its manifest and members, checksums verified."""

    folder: Path
    manifest: dict[str, Any]

    def member(self, name: str) -> Path:
        return self.folder / name


def open_into(path: Path, folder: Path, *, passphrase: str) -> Opened:
    """Decrypt and unpack the archive into ``folder``; refuse a wrong passphrase, another
    format, or any member whose checksum differs from the manifest's."""
    try:
        with tarfile.open(path, "r") as outer:
            fmt = json.loads(_read(outer, "FORMAT.json"))
            if fmt.get("format") != FORMAT["format"] or fmt.get("version") != FORMAT["version"]:
                raise ArchiveError(f"not a FieldCRM backup of version {FORMAT['version']}: {fmt}")
            try:
                key = pyrage.passphrase.decrypt(_read(outer, "key.age"), passphrase)
            except pyrage.DecryptError as exc:
                raise ArchiveError("wrong passphrase (or a damaged archive)") from exc
            identity = pyrage.x25519.Identity.from_str(key.decode())
            payload = folder / "payload.tar.gz"
            sealed = outer.extractfile("payload.age")
            if sealed is None:
                raise ArchiveError("the archive has no payload")
            with payload.open("wb") as dst:
                pyrage.decrypt_io(sealed, dst, [identity])
    except (tarfile.TarError, KeyError, ValueError, OSError, pyrage.DecryptError) as exc:
        raise ArchiveError(f"damaged archive: {exc}") from exc
    with tarfile.open(payload, "r:gz") as tar:
        _extract_files(tar, folder)
    payload.unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    for name, expected in manifest["sha256"].items():
        if sha256(folder / name) != expected:
            raise ArchiveError(f"checksum mismatch: {name}")
    return Opened(folder, manifest)


def _extract_files(tar: tarfile.TarFile, folder: Path) -> None:
    """Only regular files, only inside ``folder`` (Python 3.11.2 has no extraction filter)."""
    root = folder.resolve()
    for member in tar.getmembers():
        target = (folder / member.name).resolve()
        if not member.isfile() or not target.is_relative_to(root):
            raise ArchiveError(f"unexpected member in the archive: {member.name}")
        source = tar.extractfile(member)
        assert source is not None  # a regular file
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise ArchiveError(f"the archive has no {name}")
    return member.read()
