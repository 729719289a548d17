"""One bad item never sinks a batch: every field name of every entity, sent as an edit with
an odd value next to a good edit, settles alone and leaves the good one applied.

Regression: an edit naming ``version`` among its changes raised an uncaught VersionConflict;
the whole push answered 409 and the phone's outbox was stuck.
"""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from fieldcrm.accounts.models import Activity, Contact
from fieldcrm.notifications.models import Notification
from fieldcrm.orders.models import Order, PriceList, Product
from fieldcrm.plans.models import RoutePlan, RouteSheet
from fieldcrm.sync.entities import ENTITIES
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.fieldcrm.sync.test_sync import op

ODD_VALUES = [None, 2**70, -1, "", "x" * 10_000, {"a": [1]}, [1, 2], True, "\u200b"]
SETTLED = {"applied", "already_applied", "conflict", "rejected"}


@pytest.fixture
def records(world):
    account = make_account("Sweep shop", lng=1.05, lat=42.05, status="customer")
    contact = Contact.objects.create(account=account, name="Ann")
    activity = Activity.objects.create(
        account=account, kind=Activity.Kind.NOTE, actor=world.rep1, occurred_at=timezone.now()
    )
    visit = Visit.objects.create(account=account, rep=world.rep1)
    task = Task.objects.create(title="Call", account=account, assignee=world.rep1)
    # The sweep pushes as the admin: a notification is its recipient's alone.
    notification = Notification.objects.create(
        recipient=world.admin, kind="task_due", record_type="task", record_id=task.pk
    )
    plan = RoutePlan.objects.create(
        rep=world.rep1, region=world.north, date=timezone.localdate(), status="published"
    )
    sheet = RouteSheet.objects.create(plan=plan, rep=world.rep1, date=plan.date)
    product = Product.objects.create(sku="SW-1", name="Sweep tea")
    price_list = PriceList.objects.create(name="Sweep EUR", currency="EUR")
    item = price_list.items.create(product=product, unit_price=1)
    order = Order.objects.create(
        kind="order", number="O-SWEEP-1", account=account, currency="EUR",
        issued_on=timezone.localdate(), created_by=world.admin,
    )  # fmt: skip
    return {"account": account, "contact": contact, "activity": activity, "visit": visit,
            "task": task, "notification": notification, "route": sheet, "product": product,
            "price_list": price_list, "price_item": item, "order": order}  # fmt: skip


def _field_names(entity) -> list[str]:
    names = set(entity.out.model_fields) | {f.name for f in entity.model._meta.fields}
    if entity.patch_in is not None:
        names |= set(entity.patch_in.model_fields)
    return sorted(names | {"version", "no_such_field"})


def test_every_field_of_every_entity_settles_alone_in_a_batch(as_user, world, records):
    # As an admin: a bad item may legitimately move a rep's account out of their scope (a
    # location cleared), which would refuse the good item for a good reason.
    rep = as_user("admin")
    for name, entity in ENTITIES.items():
        row = records[name]
        for field in _field_names(entity):
            for value in ODD_VALUES[:3] if field != "version" else [row.version + 5, "x"]:
                bad = op(name, "update", row.pk, base_version=row.version,
                         changes={field: {"old": None, "new": value}})  # fmt: skip
                good = op("account", "update", records["account"].pk, changes={
                    "website": {"old": None, "new": f"https://ok.example/{uuid.uuid4().hex}"}
                })  # fmt: skip
                response = rep.post("sync/push", {"device_id": "d", "mutations": [bad, good]})
                assert response.status_code == 200, (name, field, value, response.content)
                results = response.json()["results"]
                assert {r["status"] for r in results} <= SETTLED, (name, field, results)
                assert results[1]["status"] in {"applied", "conflict"}, (name, field, results)
                row.refresh_from_db()
                records["account"].refresh_from_db()


def test_an_edit_naming_version_is_refused_alone(as_user, world, records):
    account = records["account"]
    bad = op("account", "update", account.pk, base_version=account.version,
             changes={"version": {"old": account.version, "new": 99}})  # fmt: skip
    good = op("account", "update", account.pk,
              changes={"phone": {"old": account.phone, "new": "+376 800 800"}})  # fmt: skip
    response = as_user("rep1").post("sync/push", {"device_id": "d", "mutations": [bad, good]})
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["status"] == "rejected" and first["errors"][0]["field"] == "version"
    assert second["status"] == "applied"
    account.refresh_from_db()
    assert account.phone == "+376 800 800"
