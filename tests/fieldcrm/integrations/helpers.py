"""Signed posts to the integrations' webhooks, as a PBX or a messenger gateway sends them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client
from django.utils import timezone

from fieldcrm.automation.webhooks import sign
from fieldcrm.integrations.models import Integration

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def call_event(event: str, call_id: str = "c-1", **fields: Any) -> dict[str, Any]:
    body = {
        "event_id": f"{call_id}-{event}", "event": event, "call_id": call_id, "direction": "in",
        "caller": "+358 40 123 4567", "callee": "200", "occurred_at": T0.isoformat(),
    }  # fmt: skip
    if event == "ended":
        body |= {"ended_at": (T0 + dt.timedelta(seconds=95)).isoformat(), "duration_s": 80,
                 "recording_url": "https://pbx.example/rec/c-1.wav"}  # fmt: skip
    return {**body, **fields}


def signed_post(
    integration: Integration, what: str, body: dict[str, Any] | bytes, *,
    secret: str | None = None, at: dt.datetime | None = None, signature: str | None = None,
):  # fmt: skip
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = int((at or timezone.now()).timestamp())
    headers = {
        "HTTP_FIELDCRM_TIMESTAMP": str(stamp),
        "HTTP_FIELDCRM_SIGNATURE": signature or sign(secret or integration.secret, stamp, raw),
    }
    return Client().post(f"/api/v1/integrations/{integration.pk}/{what}", data=raw,
                         content_type="application/json", **headers)  # fmt: skip
