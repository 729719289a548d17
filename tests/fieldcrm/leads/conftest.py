"""A local stand-in for a Nominatim-compatible geocoder (the optional external one), and a
clean rate-limit cache."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


class StubGeocoder:
    """Answers ``GET /search?q=...`` with ``body`` and ``status`` after ``delay_s``."""

    def __init__(self) -> None:
        self.status = 200
        self.body: object = [{"lat": "42.03", "lon": "1.03", "display_name": "Somewhere"}]
        self.delay_s = 0.0
        self.queries: list[str] = []
        self.url = ""


@pytest.fixture
def geocoder(settings) -> Iterator[StubGeocoder]:
    stub = StubGeocoder()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            stub.queries.append(parse_qs(urlparse(self.path).query).get("q", [""])[0])
            time.sleep(stub.delay_s)
            payload = json.dumps(stub.body).encode()
            try:
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/search"
    settings.FIELDCRM_GEOCODER = "nominatim"
    settings.FIELDCRM_GEOCODER_URL = stub.url
    settings.FIELDCRM_GEOCODER_TIMEOUT_S = 0.5
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
