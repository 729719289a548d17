"""One backup archive: the database snapshot, the installation's files, a manifest with
checksums, encrypted with the administrator's passphrase.

The payload is streamed through age (the ``pyrage`` bindings) to a fresh X25519 key made for
this archive, so a large database is never held in memory. That key is sealed with the
passphrase: scrypt with FIXED parameters (``KDF``: N=2^15, r=8, p=1) and a random salt derives
32 bytes, which are an age X25519 identity, and the archive's key is age-encrypted to it. The
parameters are fixed, not age's own passphrase mode, because age picks its scrypt work factor
from the speed of the machine at encryption and refuses, at decryption, one that would take over
~16x its estimate there: a backup made on a fast or idle server could not be restored on a slow
or busy one. The outer file is a plain tar:

    FORMAT.json    {"format": "fieldcrm-backup", "version": 2}  (nothing secret)
    key.json       the KDF, its parameters and the salt (base64)     (nothing secret)
    key.age        the archive's key, age-encrypted to the identity derived from the passphrase
    payload.age    tar.gz of manifest.json, the database snapshot and files/…, encrypted

Version 1 archives (no key.json; key.age sealed with age's passphrase mode) still open.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyrage

FORMAT = {"format": "fieldcrm-backup", "version": 2}
READABLE_VERSIONS = (1, 2)
# 2^15 x 8 x 128 bytes = 32 MiB and ~0.1 s on a server: the same on every machine, for good.
KDF = {"kdf": "scrypt", "n": 2**15, "r": 8, "p": 1, "dklen": 32}
_MAXMEM = 64 * 1024 * 1024


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
            salt = os.urandom(16)
            params = {**KDF, "salt": base64.b64encode(salt).decode()}
            wrapping = _passphrase_identity(passphrase, params)
            _add_bytes(outer, "FORMAT.json", json.dumps(FORMAT).encode())
            _add_bytes(outer, "key.json", json.dumps(params).encode())
            _add_bytes(
                outer, "key.age", pyrage.encrypt(str(identity).encode(), [wrapping.to_public()])
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
            if fmt.get("format") != FORMAT["format"] or fmt.get("version") not in READABLE_VERSIONS:
                raise ArchiveError(f"not a FieldCRM backup of version 1 or 2: {fmt}")
            if fmt["version"] == 1:
                key = _open_key_v1(_read(outer, "key.age"), passphrase)
            else:
                params = json.loads(_read(outer, "key.json"))
                wrapping = _passphrase_identity(passphrase, params)
                try:
                    key = pyrage.decrypt(_read(outer, "key.age"), [wrapping])
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


def _open_key_v1(sealed: bytes, passphrase: str) -> bytes:
    """A version 1 archive's key, sealed with age's passphrase mode (its scrypt work factor
    chosen by the machine that made the archive)."""
    try:
        return pyrage.passphrase.decrypt(sealed, passphrase)
    except pyrage.DecryptError as exc:
        if "excessive work" in str(exc).lower():
            raise ArchiveError(
                "this archive's passphrase work factor (chosen by the faster or idler machine"
                " that made it) is too high for this machine right now; retry when it is less"
                f" busy, or restore on a faster one ({exc})"
            ) from exc
        raise ArchiveError("wrong passphrase (or a damaged archive)") from exc


def _passphrase_identity(passphrase: str, params: dict[str, Any]) -> pyrage.x25519.Identity:
    """The age X25519 identity whose 32 secret bytes scrypt derives from the passphrase."""
    n, r, p = params.get("n"), params.get("r"), params.get("p")
    if (
        params.get("kdf") != "scrypt"
        or params.get("dklen") != 32
        or not isinstance(n, int)
        or not isinstance(r, int)
        or not isinstance(p, int)
        or not (0 < r <= 64 and 0 < p <= 4 and 1 < n <= 2**20)
    ):  # bounds, so a forged key.json cannot make a restore spin for hours
        raise ArchiveError(f"unsupported key derivation: {params}")
    secret = hashlib.scrypt(
        passphrase.encode(),
        salt=base64.b64decode(params["salt"], validate=True),
        n=n,
        r=r,
        p=p,
        dklen=32,
        maxmem=_MAXMEM,
    )
    return pyrage.x25519.Identity.from_str(bech32_encode("age-secret-key-", secret).upper())


# BIP-173 bech32 (age's key encoding), encode only: the PyPI "bech32" package (last release
# 2020, untyped) is not worth a dependency for these lines. Tested against a BIP-173 vector.
_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, g in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            chk ^= g if (top >> i) & 1 else 0
    return chk


def bech32_encode_5bit(hrp: str, data: list[int]) -> str:
    """``hrp`` + "1" + the 5-bit ``data`` + its 6-character checksum, lower case."""
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = _polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in data + checksum)


def bech32_encode(hrp: str, data: bytes) -> str:
    """Bytes regrouped into 5-bit values (zero-padded at the end), bech32-encoded."""
    acc, bits, five = 0, 0, []
    for byte in data:
        acc, bits = (acc << 8 | byte) & 0xFFF, bits + 8
        while bits >= 5:
            bits -= 5
            five.append((acc >> bits) & 31)
    if bits:
        five.append((acc << (5 - bits)) & 31)
    return bech32_encode_5bit(hrp, five)


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
