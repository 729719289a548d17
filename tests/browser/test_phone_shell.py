"""The phone app's server side without a browser: shell, manifest, worker, precache list."""

from __future__ import annotations

import json
import re

import pytest


@pytest.fixture
def rep_client(client, world):
    client.force_login(world.rep1)
    return client


def test_the_app_needs_a_login_and_sends_the_rep_back_to_it(client, world):
    response = client.get("/app/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/app/"


def test_the_shell_loads_one_local_bundle(rep_client):
    html = rep_client.get("/app/").content.decode()
    assert '<link rel="manifest" href="/manifest.json">' in html
    scripts = re.findall(r'<script type="module" src="([^"]+)"', html)
    assert scripts == ["/static/bundle/app.js"]
    bundle = rep_client.get("/static/bundle/app.js")
    assert bundle.status_code == 200
    assert b"fieldcrm" in b"".join(bundle.streaming_content)
    assert not re.search(r'(src|href)="https?://', html)
    config = json.loads(re.search(r'id="fieldcrm-config"[^>]*>(.*?)</script>', html).group(1))
    assert set(config) == {"tileUrl", "tileAttribution", "tileVector", "tileMaxDataZoom",
                           "tileBundleUrl", "leafletUrl", "vectorTilesUrl",
                           "superclusterUrl"}  # fmt: skip


def test_the_manifest_makes_the_app_installable(client):
    manifest = json.loads(client.get("/manifest.json").content)
    assert manifest["start_url"] == "/app/" and manifest["display"] == "standalone"
    assert manifest["theme_color"] and manifest["name"] == "FieldCRM"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_worker_is_classic_local_and_imports_the_precache_list(client):
    worker = client.get("/serviceworker.js").content.decode()
    assert 'importScripts("/static/vendor/workbox/workbox-sw.js")' in worker
    assert 'importScripts("/app/precache.js")' in worker
    assert not re.search(r"https?://", worker)


def test_the_precache_list_covers_the_shell_bundle_and_vendor_files_by_content_hash(client):
    response = client.get("/app/precache.js")
    assert response["Content-Type"].startswith("application/javascript")
    body = response.content.decode()
    entries = json.loads(re.search(r"FIELDCRM_PRECACHE = (\[.*?\]);", body).group(1))
    urls = {e["url"] for e in entries}
    assert {"/app/", "/static/bundle/app.js", "/static/pwa/css/app.css",
            "/static/vendor/leaflet/leaflet.js"} <= urls  # fmt: skip
    assert not any(url.startswith("/static/pwa/js/") for url in urls), "the modules are bundled"
    assert all(re.fullmatch(r"[0-9a-f]{16}", e["revision"]) for e in entries)
    assert all(client.get(url).status_code in (200, 302) for url in urls)
