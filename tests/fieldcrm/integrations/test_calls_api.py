"""PBX call events through the public webhook (on both databases): signature, stale and
replayed posts, matching by number, the owner's notification, one timeline entry per call
whatever the order, unknown callers offered as leads, and every field's bad input refused
with nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fieldcrm.accounts.models import Activity, Contact
from fieldcrm.integrations.models import Call, CallEvent, Extension, Integration
from fieldcrm.integrations.services import call_make_lead
from fieldcrm.notifications.models import Notification
from tests.factories import make_account
from tests.fieldcrm.integrations.helpers import call_event, signed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def pbx(world):
    return Integration.objects.create(kind="pbx", name="Asterisk", created_by=world.admin)


@pytest.fixture
def shop(world):
    return make_account("Corner Shop", phone="040-123 4567", owner=world.rep1)


def _saved() -> tuple[int, int, int, int]:
    return (Call.objects.count(), CallEvent.objects.count(), Activity.objects.count(),
            Notification.objects.count())  # fmt: skip


def test_ringing_from_a_known_number_tells_the_accounts_owner(pbx, shop, world):
    answer = signed_post(pbx, "calls", call_event("ringing"))
    assert answer.status_code == 200, answer.content
    assert answer.json()["matched"] and answer.json()["account_id"] == str(shop.pk)
    (told,) = Notification.objects.filter(recipient=world.rep1, kind="incoming_call")
    assert told.record_id == shop.pk
    listed = Client_as(world.rep1).get("/api/v1/notifications").json()["items"][0]
    assert listed["title"] == "Incoming call from +358 40 123 4567 (Corner Shop)"


def Client_as(user):  # noqa: N802 - reads like the fixture it stands for
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_contacts_number_matches_its_account(pbx, world):
    account = make_account("Pharmacy", owner=world.rep2)
    Contact.objects.create(account=account, name="Linh", phone="+358401234567")
    answer = signed_post(pbx, "calls", call_event("ringing"))
    assert answer.json()["account_id"] == str(account.pk)
    assert Call.objects.get().contact.name == "Linh"
    assert Notification.objects.get().params["contact"] == "Linh"


def test_the_ended_call_is_logged_once_with_duration_recording_and_who_answered(pbx, shop, world):
    Extension.objects.create(integration=pbx, number="201", user=world.rep1)
    for event in ("ringing", "answered", "ended"):
        answer = signed_post(pbx, "calls", call_event(event, extension="201"))
        assert answer.status_code == 200, answer.content
    (entry,) = Activity.objects.filter(account=shop, kind="call")
    assert entry.actor == world.rep1
    assert entry.details["duration_s"] == 80
    assert entry.details["recording_url"] == "https://pbx.example/rec/c-1.wav"
    assert entry.details["direction"] == "in"
    assert answer.json()["activity_id"] == str(entry.pk)
    assert Notification.objects.count() == 1  # the ringing alone


def test_events_in_any_order_and_repeated_make_one_entry(pbx, shop, world):
    Extension.objects.create(integration=pbx, number="201", user=world.rep2)
    order = ["ended", "ringing", "ended", "answered", "ringing"]
    for event in order:
        assert signed_post(pbx, "calls", call_event(event, extension="201")).status_code == 200
    (entry,) = Activity.objects.filter(kind="call")
    assert entry.actor == world.rep2  # the answered event came after the end: brought in
    call = Call.objects.get()
    assert call.state == "ended" and call.duration_s == 80
    # A ringing event after the end pops nothing up: the call is over.
    assert not Notification.objects.exists()


def test_the_same_event_twice_answers_the_same_and_changes_nothing(pbx, shop):
    body = call_event("ringing")
    first = signed_post(pbx, "calls", body)
    before = _saved()
    again = signed_post(pbx, "calls", body)
    assert again.status_code == 200 and again.json() == first.json()
    assert _saved() == before


def test_an_event_id_reused_for_another_event_is_refused(pbx, shop):
    signed_post(pbx, "calls", call_event("ringing"))
    before = _saved()
    answer = signed_post(pbx, "calls", call_event("answered", event_id="c-1-ringing"))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "event_id"
    assert _saved() == before


@pytest.mark.parametrize(
    ("how", "field"),
    [
        ({"secret": "not-the-secret"}, "signature"),
        ({"signature": "v1=00"}, "signature"),
        # Offsets from the moment the test runs (a time computed at collection would be
        # minutes old by then in the whole suite).
        ({"at": -dt.timedelta(minutes=6)}, "timestamp"),
        ({"at": dt.timedelta(minutes=6)}, "timestamp"),
    ],
)
def test_forged_or_stale_posts_are_refused_with_nothing_saved(pbx, shop, how, field):
    if "at" in how:
        how = {"at": timezone.now() + how["at"]}
    answer = signed_post(pbx, "calls", call_event("ringing"), **how)
    assert answer.status_code == 401, answer.content
    assert answer.json()["detail"][0]["loc"] == ["header", field]
    assert _saved() == (0, 0, 0, 0)


def test_a_post_without_a_timestamp_is_refused(pbx, shop):
    from django.test import Client

    answer = Client().post(f"/api/v1/integrations/{pbx.pk}/calls", data=b"{}",
                           content_type="application/json")  # fmt: skip
    assert answer.status_code == 401
    assert answer.json()["detail"][0]["loc"] == ["header", "timestamp"]


def test_a_rotated_secret_refuses_the_old_one(pbx, shop, world):
    from fieldcrm.integrations.services import integration_rotate_secret

    old = pbx.secret
    integration_rotate_secret(actor=world.admin, integration_id=pbx.pk)
    assert signed_post(pbx, "calls", call_event("ringing"), secret=old).status_code == 401
    pbx.refresh_from_db()
    assert signed_post(pbx, "calls", call_event("ringing")).status_code == 200


def test_an_unknown_or_inactive_or_messenger_integration_is_not_found(pbx, shop):
    messenger = Integration.objects.create(kind="messenger", name="WA")
    assert signed_post(messenger, "calls", call_event("ringing")).status_code == 404
    pbx.is_active = False
    pbx.save()
    assert signed_post(pbx, "calls", call_event("ringing")).status_code == 404


BAD_FIELDS = [
    ("event_id", ""),
    ("event", "hungup"),
    ("call_id", "x" * 101),
    ("direction", "sideways"),
    ("caller", "+358 40 <script>"),
    ("callee", ""),
    ("occurred_at", "yesterday"),
    ("occurred_at", "2026-12-01T09:00:00"),  # no zone
    ("started_at", "soon"),
    ("answered_at", 5),
    ("ended_at", "2026-12-01T08:00:00+00:00"),  # before the call started
    ("duration_s", -1),
    ("duration_s", 10**12),
    ("extension", "two-oh-one"),
    ("recording_url", "javascript:alert(1)"),
    ("recording_url", "ftp://pbx.example/rec.wav"),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_every_fields_bad_value_is_a_422_naming_it_with_nothing_saved(pbx, shop, field, value):
    answer = signed_post(pbx, "calls", {**call_event("ended"), field: value})
    assert answer.status_code == 422, answer.content
    assert answer.json()["detail"][0]["loc"][-1] == field, answer.json()
    assert _saved() == (0, 0, 0, 0)


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]"])
def test_a_body_that_is_not_a_json_object_names_the_body(pbx, raw):
    answer = signed_post(pbx, "calls", raw)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "body"


def test_an_unknown_number_tells_nobody_and_is_offered_as_a_lead(pbx, shop, world):
    stranger = {"caller": "+84 90 555 1212", "call_id": "c-9"}
    signed_post(pbx, "calls", call_event("ringing", **stranger))
    signed_post(pbx, "calls", call_event("ended", **stranger))
    assert not Notification.objects.exists()
    assert not Activity.objects.filter(kind="call").exists()
    call = Call.objects.get(call_id="c-9")
    assert call.account is None
    lead = call_make_lead(actor=world.manager, call_id=call.pk)
    assert lead.status == "lead" and lead.phone == "+84 90 555 1212"
    (entry,) = Activity.objects.filter(account=lead, kind="call")
    assert entry.details["duration_s"] == 80
    # The next call from that number finds the lead.
    answer = signed_post(pbx, "calls", call_event("ringing", caller="0905551212", call_id="c-10"))
    assert answer.json()["account_id"] == str(lead.pk)


def test_a_rep_cannot_make_a_lead_of_an_unknown_caller(pbx, world):
    from fieldcrm.access import NotAllowed

    signed_post(pbx, "calls", call_event("ringing", caller="+84 90 555 1212"))
    with pytest.raises(NotAllowed):
        call_make_lead(actor=world.rep1, call_id=Call.objects.get().pk)
