"""Web Push to the installed phone app: the server's VAPID key, the payload, the sender.

The VAPID key pair is made once and kept in ``var/keys/vapid-private.pem`` (the backup archive
carries ``var/keys/``): a new key would orphan every subscription, because a browser binds its
subscription to the public key it was made with. Two processes starting at once both try to
make it; the first hard link wins and the other reads the winner's key.

Each push is one ``Delivery`` per notification and device, claimed, sent and marked like an
e-mail (delivery.py). What the transport guarantees: the push service accepted the message
(201) for up to ``FIELDCRM_PUSH_TTL_S`` while the phone is offline. Every attempt of one
notification carries the same ``Topic`` header (the push service keeps only the newest message
of a topic it has not delivered yet) and the same ``id`` in the payload, which the service
worker uses as the notification's tag, so a copy sent again after a killed worker replaces the
one shown instead of ringing twice. An endpoint the push service calls gone (404, 410) is
removed; other pushes still waiting for it fail as undeliverable.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.utils import translation
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from fieldcrm.notifications import texts
from fieldcrm.notifications.delivery import Undeliverable
from fieldcrm.notifications.models import Delivery, PushSubscription
from fieldcrm.notifications.selectors import notification_settings_get
from fieldcrm.tasks.selectors import user_timezone

KEY_FILE = "vapid-private.pem"
# A push message's payload is at most 4 KB once encrypted: the body is cut well below that.
BODY_LIMIT = 600


def key_path() -> Path:
    return Path(settings.VAR_DIR) / "keys" / KEY_FILE


def vapid_key() -> Vapid02:
    """The server's VAPID key, made on first use and kept."""
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = Vapid02()
        fresh.generate_keys()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(fresh.private_pem())
            try:
                os.link(tmp, path)  # atomic and refuses to replace: one key ever
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            Path(tmp).unlink()
    return Vapid02.from_pem(path.read_bytes())


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_public_key() -> str:
    """The browser's ``applicationServerKey``: the uncompressed P-256 point, base64url."""
    point = vapid_key().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64url(point)


def push_payload(delivery: Delivery) -> dict[str, Any]:
    """What the service worker shows: rendered here in the recipient's language."""
    notification = delivery.notification
    assert notification is not None  # a push always tells a person something
    user = notification.recipient
    language = notification_settings_get(user=user).language
    title, body = texts.render(notification, language=language, tz=user_timezone(user=user))
    with translation.override(language):
        rtl = translation.get_language_bidi()
    if len(body) > BODY_LIMIT:
        body = body[: BODY_LIMIT - 1] + "…"
    return {
        "id": str(notification.pk),
        "kind": notification.kind,
        "title": title[:200],
        "body": body,
        "url": texts.record_path(notification.record_type, notification.record_id),
        "lang": language,
        "dir": "rtl" if rtl else "ltr",
    }


def send_push(delivery: Delivery) -> None:
    """Encrypt the payload to the device's keys and hand it to its push service."""
    subscription = delivery.subscription
    if subscription is None:
        raise Undeliverable("the push subscription was removed")
    assert delivery.notification is not None
    payload = json.dumps(push_payload(delivery), ensure_ascii=False, separators=(",", ":"))
    info = {"endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}  # fmt: skip
    try:
        webpush(
            info, data=payload, vapid_private_key=vapid_key(),
            # A fresh dict each time: pywebpush writes the audience and expiry into it.
            vapid_claims={"sub": settings.FIELDCRM_PUSH_CONTACT},
            ttl=settings.FIELDCRM_PUSH_TTL_S, timeout=settings.FIELDCRM_PUSH_TIMEOUT_S,
            # The notification's id as the topic (32 base64url characters, the most allowed).
            headers={"Topic": delivery.notification.pk.hex, "Urgency": "normal"},
        )  # fmt: skip
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            PushSubscription.objects.filter(pk=subscription.pk).delete()
            raise Undeliverable(f"push subscription gone ({status}); removed") from exc
        raise
