"""A push service on a free loopback port, and devices that subscribe to it from Python.

A browser's push subscription is an endpoint URL at its vendor's push service plus two keys
the browser made (a P-256 public key and a 16-byte auth secret). Here a ``Device`` makes those
keys with ``cryptography`` exactly as a browser does, and the server keeps every POST it gets
and decrypts its body (RFC 8291 / RFC 8188 ``aes128gcm``) with the device's private key through
``http_ece`` — what arrives is what a phone's browser would decrypt, not what we handed a mock.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02

from tests.harness.env import free_port


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Device:
    path: str
    base: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def endpoint(self) -> str:
        return self.base + self.path

    def subscription_json(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives the page in a browser."""
        point = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(point), "auth": b64url(self.auth_secret)}}  # fmt: skip


@dataclass
class Received:
    device: str
    headers: dict[str, str]  # names in lower case
    payload: dict[str, Any]

    @property
    def vapid_valid(self) -> bool:
        """The Authorization header's JWT verifies with the key it names (py_vapid)."""
        return bool(Vapid02.verify(self.headers["authorization"]))

    @property
    def vapid_key(self) -> str:
        return self.headers["authorization"].split("k=", 1)[1].split(",")[0]


@dataclass
class PushService:
    base: str
    devices: dict[str, Device] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)  # paths answered 410 Gone
    refuse: int = 0  # answer this many POSTs 503 first
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def device(self) -> Device:
        made = Device(path=f"/push/{len(self.devices) + 1}", base=self.base)
        self.devices[made.path] = made
        return made

    def take(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            if path in self.gone or path not in self.devices:
                return 410
            if self.refuse > 0:
                self.refuse -= 1
                return 503
            device = self.devices[path]
            plain = http_ece.decrypt(
                body, private_key=device.private_key, auth_secret=device.auth_secret,
                version=headers.get("content-encoding", "aes128gcm"),
            )  # fmt: skip
            self.received.append(Received(path, headers, json.loads(plain)))
            return 201


@contextlib.contextmanager
def push_service() -> Iterator[PushService]:
    port = free_port()
    service = PushService(base=f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = service.take(self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - its signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
