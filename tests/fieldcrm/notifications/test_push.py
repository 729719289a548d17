"""Web Push, end to end in Python: a device subscribes through the API with keys made like a
browser's, a task reminder goes out through pywebpush to a push service on a loopback port,
and that service decrypts the body with the device's private key (tests/harness/push.py)."""

import datetime as dt
import json

import pytest

from fieldcrm.notifications import clock, push
from fieldcrm.notifications.delivery import deliveries_send, delivery_claim
from fieldcrm.notifications.models import (
    Delivery,
    NotificationPreference,
    NotificationSettings,
    PushSubscription,
)
from tests.fieldcrm.notifications.test_notifications_api import notify
from tests.harness.push import push_service

T0 = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def service(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # a key of this test's own, made on first use
    settings.FIELDCRM_PUSH_INSECURE_ENDPOINTS = True
    settings.FIELDCRM_PUSH_TIMEOUT_S = 5
    with push_service() as running:
        yield running


def subscribe(as_user, persona, device):
    return as_user(persona).post("push/subscriptions", device.subscription_json())


def wants_push(user, language="en"):
    NotificationSettings.objects.create(user=user, language=language)
    NotificationPreference.objects.create(user=user, kind="task_due", channel="push")


def test_a_reminder_reaches_each_device_encrypted_in_the_users_language(service, as_user, world):
    wants_push(world.rep1, language="vi")
    phone, tablet = service.device(), service.device()
    assert subscribe(as_user, "rep1", phone).status_code == 201
    assert subscribe(as_user, "rep1", tablet).status_code == 201
    key = as_user("rep1").get("push/key").json()["public_key"]
    with clock.frozen(T0):
        notification = notify(world.rep1)
        assert deliveries_send() == {"sent": 2}
        assert deliveries_send() == {}
    assert sorted(r.device for r in service.received) == ["/push/1", "/push/2"]
    first = service.received[0]
    assert first.payload == {
        "id": str(notification.pk), "kind": "task_due", "title": "Công việc đến hạn: Call Anna",
        "body": first.payload["body"], "url": "/app/#/tasks", "lang": "vi", "dir": "ltr",
    }  # fmt: skip
    assert "Call Anna" not in first.payload["body"] and first.payload["body"]
    # The stable id: the topic is the notification's, on every attempt and every device.
    assert {r.headers["topic"] for r in service.received} == {notification.pk.hex}
    assert first.headers["ttl"] == "86400" and first.headers["content-encoding"] == "aes128gcm"
    assert first.vapid_valid and first.vapid_key == key
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_vapid_key_is_made_once_and_kept_under_var_keys(service, settings):
    assert not push.key_path().exists()
    key = push.vapid_public_key()
    assert push.key_path() == settings.VAR_DIR / "keys" / "vapid-private.pem"
    assert push.key_path().read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert push.vapid_public_key() == key
    assert len(push.b64url(b"\0" * 65)) == len(key)  # an uncompressed P-256 point


def test_a_device_the_push_service_calls_gone_is_removed(service, as_user, world):
    wants_push(world.rep1)
    phone = service.device()
    subscribe(as_user, "rep1", phone)
    service.gone.add(phone.path)
    with clock.frozen(T0):
        notify(world.rep1)
        assert deliveries_send() == {"failed": 1}
        assert not PushSubscription.objects.exists()
        # Later reminders have no device to go to: the bell alone.
        notify(world.rep1, title="Second")
        assert deliveries_send() == {}
    assert "410" in Delivery.objects.get().last_error


def test_a_refused_push_is_retried_and_a_resend_after_a_dead_worker_has_the_same_id(
    service, as_user, world
):
    wants_push(world.rep1)
    subscribe(as_user, "rep1", service.device())
    service.refuse = 1
    with clock.frozen(T0):
        notification = notify(world.rep1)
        assert deliveries_send() == {"pending": 1}
    with clock.frozen(T0 + dt.timedelta(minutes=1)):
        assert deliveries_send() == {"sent": 1}
    # A worker that handed it over and died before marking it: after the lease, a copy.
    Delivery.objects.update(status="pending")
    assert delivery_claim(delivery_id=Delivery.objects.get().pk, now=T0 + dt.timedelta(minutes=2))
    with clock.frozen(T0 + dt.timedelta(minutes=8)):
        assert deliveries_send() == {"sent": 1}
    assert len(service.received) == 2
    assert {r.payload["id"] for r in service.received} == {str(notification.pk)}
    assert {r.headers["topic"] for r in service.received} == {notification.pk.hex}


def test_without_a_device_a_push_preference_rings_the_bell_only(service, world):
    wants_push(world.rep1)
    with clock.frozen(T0):
        assert notify(world.rep1) is not None
    assert not Delivery.objects.exists()


def test_subscriptions_are_checked_and_scoped_to_the_caller(service, as_user, world):
    device = service.device()
    body = device.subscription_json()
    bad_key = {**body, "keys": {**body["keys"], "p256dh": "AAAA"}}
    answer = as_user("rep1").post("push/subscriptions", bad_key)
    assert answer.status_code == 422 and "p256dh" in json.dumps(answer.json())
    answer = as_user("rep1").post("push/subscriptions", {**body, "endpoint": "ftp://x/1"})
    assert answer.status_code == 422 and "endpoint" in json.dumps(answer.json())
    assert subscribe(as_user, "rep1", device).status_code == 201
    gone = {"data": json.dumps({"endpoint": device.endpoint}), "content_type": "application/json"}
    # Someone else's device is not found, and stays.
    assert as_user("rep2").delete("push/subscriptions", **gone).status_code == 404
    assert as_user("admin").delete("push/subscriptions", **gone).status_code == 404
    assert PushSubscription.objects.get().user == world.rep1
    assert as_user("rep1").delete("push/subscriptions", **gone).status_code == 204
    assert not PushSubscription.objects.exists()


def test_plain_http_endpoints_are_refused_unless_allowed(service, as_user, settings):
    settings.FIELDCRM_PUSH_INSECURE_ENDPOINTS = False
    answer = subscribe(as_user, "rep1", service.device())
    assert answer.status_code == 422 and "endpoint" in json.dumps(answer.json())
