"""E-mail deliveries, once each, to a real local SMTP server (aiosmtpd), in the user's language."""

import datetime as dt
import re
import threading

import pytest
from django.db import connection

from fieldcrm.notifications import clock
from fieldcrm.notifications import delivery as delivery_module
from fieldcrm.notifications.delivery import deliveries_send, delivery_claim
from fieldcrm.notifications.models import Delivery, NotificationPreference, NotificationSettings
from tests.fieldcrm.notifications.test_notifications_api import notify
from tests.harness.smtp import smtp_server

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def inbox(settings):
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = inbox.host, inbox.port
        settings.EMAIL_TIMEOUT = 5
        yield inbox


def wants_email(user, language="en", **settings_):
    user.email = f"{user.username}@example.com"
    user.save()
    NotificationSettings.objects.create(user=user, language=language, **settings_)
    NotificationPreference.objects.create(user=user, kind="task_due", channel="email")


def test_a_notification_is_mailed_once_in_the_users_language_with_both_parts(inbox, world):
    wants_email(world.rep1, language="vi")
    with clock.frozen(T0):
        notification = notify(world.rep1)
        assert deliveries_send() == {"sent": 1}
        assert deliveries_send() == {}
    (message,) = inbox.messages
    delivery = Delivery.objects.get()
    assert message["Message-ID"] == delivery.message_id == f"<{notification.pk}.email@fieldcrm>"
    assert message["To"] == "rep1@example.com"
    assert message["Subject"] == "Công việc đến hạn: Call Anna"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Call Anna" in text and 'lang="vi"' in html and 'dir="ltr"' in html
    unsubscribe = re.search(r"<(http://[^>]+)>", message["List-Unsubscribe"]).group(1)
    assert unsubscribe in text and f"/notifications/{notification.pk}/open" in text
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_persian_mail_is_right_to_left_and_markup_in_a_title_is_escaped(inbox, world):
    wants_email(world.rep1, language="fa")
    with clock.frozen(T0):
        notify(world.rep1, title="<b>Anna</b>")
        deliveries_send()
    html = inbox.messages[0].get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and 'lang="fa"' in html
    assert "&lt;b&gt;Anna&lt;/b&gt;" in html and "<b>Anna" not in html


def test_a_row_claimed_by_another_worker_is_left_until_its_lease_runs_out(inbox, world):
    wants_email(world.rep1)
    with clock.frozen(T0):
        notify(world.rep1)
        delivery = Delivery.objects.get()
        # Another worker claimed it and died before marking it sent.
        assert delivery_claim(delivery_id=delivery.pk, now=T0)
        assert not delivery_claim(delivery_id=delivery.pk, now=T0)
        assert deliveries_send() == {}
    with clock.frozen(T0 + dt.timedelta(minutes=6)):
        assert deliveries_send() == {"sent": 1}
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Message-ID"] == delivery.message_id  # the receiver's dedup key
    assert Delivery.objects.get().attempts == 2


def test_a_refused_send_is_retried_with_backoff_and_sent_once(inbox, world):
    wants_email(world.rep1)
    inbox.refuse = 1
    with clock.frozen(T0):
        notify(world.rep1)
        assert deliveries_send() == {"pending": 1}
        assert deliveries_send() == {}  # not before its backoff
    failed = Delivery.objects.get()
    assert failed.attempts == 1 and "451" in failed.last_error
    with clock.frozen(T0 + dt.timedelta(minutes=2)):
        assert deliveries_send() == {"sent": 1}
    assert len(inbox.messages) == 1


def test_quiet_hours_hold_the_mail_until_they_end(inbox, world):
    # The rep's region (North) has the default zone (UTC): quiet from 09:00 to 11:30.
    wants_email(world.rep1, quiet_start=dt.time(9), quiet_end=dt.time(11, 30))
    with clock.frozen(T0):
        notify(world.rep1)
        assert deliveries_send() == {}
    assert Delivery.objects.get().not_before == dt.datetime(2026, 3, 3, 11, 30, tzinfo=UTC)
    with clock.frozen(dt.datetime(2026, 3, 3, 11, 30, tzinfo=UTC)):
        assert deliveries_send() == {"sent": 1}


def test_the_unsubscribe_link_asks_then_stops_that_kind_of_mail(inbox, client, world):
    wants_email(world.rep1)
    with clock.frozen(T0):
        notify(world.rep1)
        deliveries_send()
    link = re.search(r"<http://[^/]+([^>]+)>", inbox.messages[0]["List-Unsubscribe"]).group(1)
    assert client.get(link).status_code == 200
    assert NotificationPreference.objects.get(user=world.rep1).channel == "email"
    assert client.post(link).status_code == 200
    assert NotificationPreference.objects.get(user=world.rep1).channel == "in_app"
    assert client.post(link[:-3] + "xyz").status_code == 404
    with clock.frozen(T0):
        notify(world.rep1)
        assert deliveries_send() == {}
    assert len(inbox.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_message_exactly_once(inbox, world):
    # Real concurrent connections (one per thread), committed rows: the claim is the only
    # thing standing between two workers and a doubled e-mail.
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (SQLite's test database is one shared memory DB)")
    wants_email(world.rep1)
    with clock.frozen(T0):
        for n in range(20):
            notify(world.rep1, title=f"Task {n}")
    start = threading.Barrier(2)
    results = []

    def worker():
        try:
            start.wait()
            with clock.frozen(T0):
                results.append(deliveries_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == len(set(ids)) == 20
    assert sum(r.get("sent", 0) for r in results) == 20
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_one_pass_sends_its_mail_over_one_smtp_connection_each_with_its_own_id(inbox, world):
    wants_email(world.rep1)
    with clock.frozen(T0):
        for n in range(5):
            notify(world.rep1, title=f"Task {n}")
        assert deliveries_send() == {"sent": 5}
    assert len(set(inbox.peers)) == 1  # one connection carried all five
    ids = {d.message_id for d in Delivery.objects.all()}
    assert {m["Message-ID"] for m in inbox.messages} == ids and len(ids) == 5
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_new_connection_after_the_settings_number_of_messages(inbox, world, settings):
    settings.FIELDCRM_EMAIL_PER_CONNECTION = 2
    wants_email(world.rep1)
    with clock.frozen(T0):
        for n in range(5):
            notify(world.rep1, title=f"Task {n}")
        assert deliveries_send() == {"sent": 5}
    assert len(set(inbox.peers)) == 3  # 2 + 2 + 1


def test_a_connection_dropped_mid_batch_leaves_only_the_unsent_mail_to_retry(inbox, world):
    wants_email(world.rep1)
    inbox.drop_at = 3  # the server cuts the line during the third message
    with clock.frozen(T0):
        for n in range(5):
            notify(world.rep1, title=f"Task {n}")
        # The third fails; the fourth and fifth go over a new connection in the same pass.
        assert deliveries_send() == {"sent": 4, "pending": 1}
        assert deliveries_send() == {}  # the failed one waits for its backoff
    assert len(set(inbox.peers)) == 2
    lost = Delivery.objects.get(status="pending")
    assert lost.attempts == 1 and "Disconnected" in lost.last_error
    with clock.frozen(T0 + dt.timedelta(minutes=2)):
        assert deliveries_send() == {"sent": 1}
    ids = [m["Message-ID"] for m in inbox.messages]
    assert sorted(ids) == sorted(d.message_id for d in Delivery.objects.all())  # once each
    assert inbox.messages[-1]["Message-ID"] == lost.message_id  # its own id on the retry
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_refused_message_mid_batch_fails_only_itself(inbox, world):
    wants_email(world.rep1)
    inbox.refuse = 1  # the first message gets a 451; the others go through
    with clock.frozen(T0):
        for n in range(3):
            notify(world.rep1, title=f"Task {n}")
        assert deliveries_send() == {"pending": 1, "sent": 2}
    refused = Delivery.objects.get(status="pending")
    assert "451" in refused.last_error
    sent = {d.message_id for d in Delivery.objects.filter(status="sent")}
    assert {m["Message-ID"] for m in inbox.messages} == sent and len(inbox.messages) == 2


def test_a_long_pass_leases_each_row_from_its_own_claim_so_no_other_worker_takes_it(
    inbox, world, monkeypatch
):
    # Each send takes six minutes of the clock (longer than the five-minute lease): a row
    # claimed late in the pass must still be this worker's while it sends it.
    wants_email(world.rep1)
    real = delivery_module.SENDERS["email"]
    stolen = []

    def slow(delivery):
        stolen.append(delivery_claim(delivery_id=delivery.pk, now=clock.now()))
        real(delivery)
        clock._fixed[-1] += dt.timedelta(minutes=6)

    monkeypatch.setitem(delivery_module.SENDERS, "email", slow)
    with clock.frozen(T0):
        for n in range(3):
            notify(world.rep1, title=f"Task {n}")
        assert deliveries_send() == {"sent": 3}
    assert stolen == [False, False, False]  # another worker could take none of them
    assert len(inbox.messages) == 3
