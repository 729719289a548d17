"""Notifications on the phone: pulled by their recipient only, marked read offline."""

from fieldcrm.notifications.models import Notification
from tests.fieldcrm.notifications.test_notifications_api import notify
from tests.fieldcrm.sync.test_sync import op, pull_all, push


def test_pull_brings_only_the_recipients_notifications(as_user, world):
    mine = notify(world.rep1)
    notify(world.rep2, title="Not yours")
    pulled = pull_all(as_user("rep1"))[0]["changes"]["notifications"]
    assert [n["id"] for n in pulled] == [str(mine.pk)]
    assert pulled[0]["kind"] == "task_due" and pulled[0]["params"]["title"] == "Call Anna"


def test_a_phone_marks_read_offline_once_and_cannot_create_or_touch_others(as_user, world):
    mine, theirs = notify(world.rep1), notify(world.rep2)
    rep = as_user("rep1")
    read = op("notification", "update", mine.pk, base_version=mine.version,
              changes={"is_read": {"old": False, "new": True}})  # fmt: skip
    first = push(rep, read)
    assert first[0]["status"] == "applied" and first[0]["record"]["is_read"] is True
    assert push(rep, read)[0]["status"] == "already_applied"
    made = op("notification", "create", fields={"kind": "task_due"})
    other = op("notification", "update", theirs.pk, base_version=1,
               changes={"is_read": {"old": False, "new": True}})  # fmt: skip
    created, foreign = push(rep, made, other)
    assert created["status"] == foreign["status"] == "rejected"
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert Notification.objects.count() == 2
