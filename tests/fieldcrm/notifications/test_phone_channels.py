"""The phone's notification settings offer the channels the API takes, no more and no fewer:
its list is a constant of the screen (pwa/static/pwa/js/screens/notification-settings.js,
read offline with no API call), so this pins it to the server's enum and to the OpenAPI
schema, and each channel has its label in every phone language."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fieldcrm.api import api
from fieldcrm.notifications.models import NotificationChannel

JS = Path(__file__).resolve().parents[3] / "pwa/static/pwa/js"


def phone_channels() -> list[str]:
    source = (JS / "screens/notification-settings.js").read_text()
    match = re.search(r"export const CHANNELS = (\[[^\]]*\]);", source)
    assert match, "CHANNELS not found in notification-settings.js"
    return json.loads(match.group(1))


def test_the_phone_offers_exactly_the_channels_the_api_takes():
    assert phone_channels() == list(NotificationChannel.values)
    schema = api.get_openapi_schema()["components"]["schemas"]
    enums = [s["enum"] for s in schema.values() if set(s.get("enum", [])) & {"in_app", "push"}]
    assert enums and all(sorted(e) == sorted(NotificationChannel.values) for e in enums)


def test_every_channel_has_its_label_in_each_phone_language():
    for language in ("en", "vi", "fa"):
        catalog = (JS / f"i18n/{language}.js").read_text()
        for channel in phone_channels():
            assert re.search(rf"\bchannel_{channel}\s*:", catalog), (language, channel)
