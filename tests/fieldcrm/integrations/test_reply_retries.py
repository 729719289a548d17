"""A messenger reply whose endpoint fails is retried on the webhooks' schedule (1, 2, 4 …
minutes, at most 6 hours apart, for 24 hours), not the notifications' 8 attempts: a real
loopback HTTP server answers 500 and then 200, and the clock is moved, never waited for."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fieldcrm.integrations.models import Integration
from fieldcrm.integrations.replies import reply_send
from fieldcrm.notifications import clock
from fieldcrm.notifications.delivery import MAX_ATTEMPTS, deliveries_send
from fieldcrm.notifications.models import Delivery
from tests.factories import make_account
from tests.fieldcrm.integrations.helpers import T0, signed_post

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
# The webhooks' schedule from the first attempt, in minutes: doubling waits until they reach
# 6 hours, then 6 hours apart, the last try at the end of the 24-hour window.
SCHEDULE = [0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 871, 1231, 1440]


class Endpoint:
    """A messenger gateway's reply URL: 500 to the first ``fail`` POSTs, then 200."""

    def __init__(self, fail: int) -> None:
        self.fail, self.bodies, self.accepted = fail, [], []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.bodies.append(body)
                ok = len(endpoint.bodies) > endpoint.fail
                if ok:
                    endpoint.accepted.append(body)
                self.send_response(200 if ok else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/reply"


@contextmanager
def endpoint(fail: int) -> Iterator[Endpoint]:
    e = Endpoint(fail)
    thread = threading.Thread(target=e.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield e
    finally:
        e.server.shutdown()
        e.server.server_close()


def a_reply(world, url: str):
    zalo = Integration.objects.create(kind="messenger", name="Zalo OA", reply_url=url,
                                      default_owner=world.rep2)  # fmt: skip
    shop = make_account("Tạp hoá Hoa", phone="090 123 4567", owner=world.rep1)
    signed_post(zalo, "messages", {"message_id": "m-1", "channel": "zalo",
                                   "sender_id": "+84 90 123 4567", "text": "Báo giá?"})  # fmt: skip
    with clock.frozen(T0):
        reply = reply_send(actor=world.rep1, account_id=shop.pk, text="Dạ, em gửi chị ạ")
    return Delivery.objects.get(key=f"reply.{reply.pk}")


def test_a_failing_reply_url_is_retried_at_the_webhook_times_and_delivered_once(world):
    with endpoint(fail=4) as e:
        delivery = a_reply(world, e.url)
        for minutes in SCHEDULE[:5]:  # four 500s, then the 200
            at = T0 + minutes * MINUTE
            with clock.frozen(at - dt.timedelta(seconds=1)):
                assert deliveries_send() == {}, minutes  # not due before its time
            with clock.frozen(at):
                outcome = deliveries_send()
            delivery.refresh_from_db()
            assert delivery.attempts == len(e.bodies)
            if minutes < SCHEDULE[4]:
                assert outcome == {"pending": 1}, minutes
                assert "HTTP 500" in delivery.last_error
            else:
                assert outcome == {"sent": 1}
        for later in (1, 60, 24 * 60, 3 * 24 * 60):  # never again once it went through
            with clock.frozen(at + later * MINUTE):
                assert deliveries_send() == {}
    assert delivery.status == "sent" and delivery.attempts == 5
    assert len(e.accepted) == 1 and set(e.bodies) == {e.accepted[0]}  # the same bytes each time


def test_a_reply_url_that_never_recovers_is_failed_after_24_hours(world):
    with endpoint(fail=1000) as e:
        delivery = a_reply(world, e.url)
        tried = []
        at = T0
        while True:
            with clock.frozen(at):
                deliveries_send()
            tried.append((at - T0) // MINUTE)
            delivery.refresh_from_db()
            if delivery.status != "pending":
                break
            at = delivery.not_before
    # More than the notifications' 8 attempts: the webhooks' times, the last at 24 hours.
    assert tried == SCHEDULE and len(e.bodies) == delivery.attempts > MAX_ATTEMPTS
    assert delivery.status == "failed" and at == T0 + dt.timedelta(hours=24)
    with clock.frozen(T0 + dt.timedelta(days=3)):
        assert deliveries_send() == {}
    assert not e.accepted
