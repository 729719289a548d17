"""Which files may be attached: the extension must be one of FIELDCRM_ATTACHMENT_TYPES and
the first bytes must be what that extension claims (a renamed executable is not a PDF). The
content type stored and sent back is ours, never the uploader's."""

from __future__ import annotations

from collections.abc import Callable

CONTENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "webp": "image/webp", "txt": "text/plain", "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}  # fmt: skip


def _text(head: bytes) -> bool:
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut at the end of the sample is fine
        return exc.start >= len(head) - 3
    return True


SNIFF: dict[str, Callable[[bytes], bool]] = {
    "pdf": lambda h: h.startswith(b"%PDF-"),
    "png": lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"),
    "jpg": lambda h: h.startswith(b"\xff\xd8\xff"),
    "jpeg": lambda h: h.startswith(b"\xff\xd8\xff"),
    "webp": lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP",
    "xlsx": lambda h: h.startswith(b"PK\x03\x04"),
    "docx": lambda h: h.startswith(b"PK\x03\x04"),
    "txt": _text,
    "csv": _text,
}


def content_matches(extension: str, head: bytes) -> bool:
    """Whether ``head`` (the file's first KB) is a file of ``extension``."""
    check = SNIFF.get(extension)
    return bool(check and check(head))
