"""Every answer says how long the server worked on it (Server-Timing)."""

import re


def test_server_timing_header_on_api_and_pages(client, db):
    for path in ("/healthz", "/api/v1/auth/csrf"):
        header = client.get(path)["Server-Timing"]
        assert re.fullmatch(r"app;dur=\d+\.\d", header), header
