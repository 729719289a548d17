"""Outbound webhooks to a real local HTTP receiver (http.server in a thread), sent by the
notifications worker's deliveries: signed, once, retried with backoff, logged, replayed."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fieldcrm.automation.engine import events_process
from fieldcrm.automation.models import Webhook, WebhookAttempt, WebhookDelivery
from fieldcrm.automation.services import webhook_create, webhook_replay
from fieldcrm.notifications import clock
from fieldcrm.notifications.delivery import deliveries_send
from fieldcrm.notifications.models import Notification
from fieldcrm.tasks.services import task_create

T0 = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)


class Receiver:
    """Answers 500 to the first ``fail`` POSTs, then 204; keeps every request it got. With
    ``hang``, the first POSTs get no answer until the receiver stops (the sender times out)."""

    def __init__(self, fail: int, hang: int = 0) -> None:
        self.fail, self.hang, self.requests, self.accepted = fail, hang, [], []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))
                if len(receiver.requests) <= receiver.hang:
                    receiver.release.wait(30)
                    return
                if len(receiver.requests) <= receiver.fail:
                    self.send_response(500)
                else:
                    receiver.accepted.append((self.headers, body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


@contextmanager
def receiver(fail: int = 0, hang: int = 0):
    r = Receiver(fail, hang)
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield r
    finally:
        r.release.set()
        r.server.shutdown()
        r.server.server_close()


def a_task(world):
    return task_create(
        actor=world.manager, data={"title": "Call Anna", "assignee_id": world.rep1.pk}
    )


def test_a_receiver_failing_three_times_gets_one_accepted_delivery_after_four_attempts(world):
    with receiver(fail=3) as r, clock.frozen(T0):
        hook = webhook_create(
            actor=world.admin, data={"url": r.url, "event_types": ["task.created"]}
        )
        task = a_task(world)
        assert events_process()["webhook_queued"] == 1
        at = T0
        for wait in (0, 1, 2, 4):  # minutes: the backoff after each failure
            at += dt.timedelta(minutes=wait)
            with clock.frozen(at):
                assert deliveries_send(), at
                assert deliveries_send() == {}  # nothing due before the next backoff step
        with clock.frozen(at + dt.timedelta(days=2)):
            assert deliveries_send() == {}
    assert len(r.requests) == 4 and len(r.accepted) == 1
    headers, body = r.accepted[0]
    payload = json.loads(body)
    assert payload["type"] == "task.created" and payload["data"]["id"] == str(task.pk)
    # Every attempt had the same body and idempotency key; the signature verifies.
    assert {b for _, b in r.requests} == {body}
    assert {h["FieldCRM-Idempotency-Key"] for h, _ in r.requests} == {payload["id"]}
    expected = hmac.new(hook.secret.encode(), headers["FieldCRM-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()  # fmt: skip
    assert headers["FieldCRM-Signature"] == f"v1={expected}"
    wd = WebhookDelivery.objects.get()
    assert [a.status_code for a in wd.attempts.all()] == [500, 500, 500, 204]
    assert wd.delivery.status == "sent" and wd.delivery.attempts == 4
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0


def test_a_receiver_that_does_not_answer_in_time_is_retried(world, settings):
    settings.FIELDCRM_WEBHOOK_TIMEOUT_S = 0.3
    with receiver(hang=1) as r, clock.frozen(T0):
        webhook_create(actor=world.admin, data={"url": r.url, "event_types": ["task.created"]})
        a_task(world)
        events_process()
        assert deliveries_send() == {"pending": 1}
        with clock.frozen(T0 + dt.timedelta(minutes=1)):
            assert deliveries_send() == {"sent": 1}
    first, second = WebhookAttempt.objects.order_by("at", "id")
    assert first.status_code is None and "timed out" in first.error
    assert second.status_code == 204 and len(r.accepted) == 1


def test_the_delivery_log_and_replay_through_the_api(as_user, world):
    with receiver(fail=1) as r, clock.frozen(T0):
        created = as_user("admin").post("webhooks", {"url": r.url, "event_types": ["task.created"]})
        assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
        hook_id = created.json()["id"]
        a_task(world)
        events_process()
        deliveries_send()  # 500
        log = as_user("admin").get(f"webhooks/{hook_id}/deliveries").json()["items"]
        (entry,) = log
        assert entry["status"] == "pending" and [a["status_code"] for a in entry["attempts"]] == [
            500
        ]
        assert entry["next_attempt_at"] == (T0 + dt.timedelta(minutes=1)).isoformat().replace(
            "+00:00", "Z"
        )
        with clock.frozen(T0 + dt.timedelta(minutes=1)):
            deliveries_send()  # 204
        replay = as_user("admin").post(f"webhook-deliveries/{entry['id']}/replay", {})
        assert replay.status_code == 200 and replay.json()["status"] == "pending"
        with clock.frozen(T0 + dt.timedelta(minutes=2)):
            assert deliveries_send() == {"sent": 1}
    assert len(r.accepted) == 2  # the replay: the same key, the receiver's to drop or take
    assert (
        r.accepted[0][0]["FieldCRM-Idempotency-Key"] == r.accepted[1][0]["FieldCRM-Idempotency-Key"]
    )
    # Other roles see no webhook, no log, and cannot replay.
    assert as_user("manager").get("webhooks").json()["count"] == 0
    assert as_user("manager").get(f"webhooks/{hook_id}/deliveries").status_code == 404
    assert (
        as_user("manager").post(f"webhook-deliveries/{entry['id']}/replay", {}).status_code == 404
    )


@pytest.mark.parametrize("url", ["ftp://example.com/x", "javascript:alert(1)", "example.com", ""])
def test_only_http_urls_are_accepted_naming_the_field(as_user, world, url):
    response = as_user("admin").post("webhooks", {"url": url, "event_types": ["task.created"]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "url"]
    assert not Webhook.objects.exists()


def test_repeated_failure_disables_the_webhook_and_tells_the_admins(world, settings):
    settings.FIELDCRM_WEBHOOK_DISABLE_AFTER = 3
    with receiver(fail=100) as r, clock.frozen(T0):
        hook = webhook_create(
            actor=world.admin, data={"url": r.url, "event_types": ["task.created"]}
        )
        a_task(world)
        a_task(world)
        events_process()
        at = T0
        for _ in range(3):
            with clock.frozen(at):
                deliveries_send()
            at += dt.timedelta(hours=1)
        with clock.frozen(at + dt.timedelta(hours=30)):
            assert deliveries_send() == {}
    hook.refresh_from_db()
    assert not hook.enabled and hook.disabled_reason == "HTTP 500"
    assert WebhookAttempt.objects.count() == 3
    assert set(WebhookDelivery.objects.values_list("delivery__status", flat=True)) == {"failed"}
    (told,) = Notification.objects.filter(kind="webhook_disabled")
    assert told.recipient == world.admin and told.params["url"] == r.url
    with pytest.raises(Exception, match="Enable the webhook"):
        webhook_replay(actor=world.admin, delivery_id=WebhookDelivery.objects.first().pk)


def test_retries_stop_24_hours_after_the_first_attempt(world, settings):
    settings.FIELDCRM_WEBHOOK_DISABLE_AFTER = 100  # one event's retries alone, never disabled
    with receiver(fail=1000) as r, clock.frozen(T0):
        webhook_create(actor=world.admin, data={"url": r.url, "event_types": ["task.created"]})
        a_task(world)
        events_process()
        at = T0
        while True:
            with clock.frozen(at):
                deliveries_send()
            wd = WebhookDelivery.objects.select_related("delivery").get()
            if wd.delivery.status == "failed":
                break
            assert wd.delivery.not_before - at <= dt.timedelta(hours=6)
            at = wd.delivery.not_before
    assert at == T0 + dt.timedelta(hours=24)  # the last try at the end of the window
    assert len(r.requests) == wd.delivery.attempts == 13  # 0, 1, 3, 7 … 511 min, 6 h apart, 24 h
