"""A pull costs what changed, not what exists (issue 22): each synced entity's pull query is
index lookups on (scope key, change_seq), never a scan of the entity's table.

The tables hold enough rows, spread over many territories and change numbers, that after
ANALYZE a scan would cost the planner far more than the lookups, as with real tables; the
cursor sits near the end, so only a few rows changed since. Every entity registered for sync
is checked, for a rep and for a manager, so an entity added later gets the same check
(and needs its own index to pass it).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone

from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.core.models import ChangeCounter
from fieldcrm.notifications.models import Notification
from fieldcrm.orders.models import Order, PriceList, PriceListItem, Product
from fieldcrm.plans.models import RoutePlan, RouteSheet
from fieldcrm.sync.entities import ENTITIES
from fieldcrm.sync.selectors import pull_rows
from fieldcrm.tasks.models import Task
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit
from tests.factories import make_territory

TERRITORIES = 20
PER_TERRITORY = 50
WINDOW = 20  # change numbers since the cursor


def _seed(world) -> int:
    """TERRITORIES territories of PER_TERRITORY accounts, each with a contact, an activity, a
    visit, a task and a notification to its rep, and PER_TERRITORY days of route sheets per
    rep, every row its own change number; returns the highest. A new synced entity gets its
    rows here too."""
    kind = Notification.Kind.values[0]
    reps = [world.rep1] + [
        User.objects.create(username=f"idx-rep{i}", role=User.Role.REP)
        for i in range(1, TERRITORIES)
    ]
    seq = iter(range(1, 10**6))
    now = timezone.now()
    accounts, territory_rep = [], {}
    for t, rep in enumerate(reps):
        x = 1.0 + (t % 10) * 0.01
        y = 42.0 + (t // 10) * 0.01
        territory = (
            world.territory_a
            if t == 0
            else make_territory(f"I{t}", world.north, (x, y, x + 0.01, y + 0.01), [rep])
        )
        territory_rep[territory.pk] = rep
        accounts += [
            Account(name=f"I{t}.{i}", territory=territory, change_seq=next(seq),
                    location=Point(x + 0.005, y + 0.005, srid=4326), status="customer")
            for i in range(PER_TERRITORY)
        ]  # fmt: skip
    Account.all_objects.bulk_create(accounts, batch_size=1000)
    Contact.all_objects.bulk_create(
        [Contact(account=a, name=f"C {a.name}", change_seq=next(seq)) for a in accounts],
        batch_size=1000,
    )
    Activity.all_objects.bulk_create(
        [Activity(account=a, kind="note", subject="n", occurred_at=now, change_seq=next(seq))
         for a in accounts],
        batch_size=1000,
    )  # fmt: skip
    Visit.all_objects.bulk_create(
        [Visit(account=a, rep=territory_rep[a.territory_id], change_seq=next(seq),
               scheduled_on=dt.date(2026, 1, 1)) for a in accounts],
        batch_size=1000,
    )  # fmt: skip
    Task.all_objects.bulk_create(
        [Task(account=a, assignee=territory_rep[a.territory_id], title="t", change_seq=next(seq))
         for a in accounts],
        batch_size=1000,
    )  # fmt: skip
    Notification.all_objects.bulk_create(
        [Notification(recipient=territory_rep[a.territory_id], kind=kind, change_seq=next(seq))
         for a in accounts],
        batch_size=1000,
    )  # fmt: skip
    # A route sheet per rep and day (a published plan's, issue 19), over many days.
    plans = RoutePlan.objects.bulk_create(
        [RoutePlan(rep=rep, region=world.north, date=dt.date(2026, 1, 1) + dt.timedelta(days=d),
                   status="published") for rep in reps for d in range(PER_TERRITORY)],
        batch_size=1000,
    )  # fmt: skip
    RouteSheet.all_objects.bulk_create(
        [RouteSheet(plan=plan, rep=plan.rep, date=plan.date, change_seq=next(seq))
         for plan in plans],
        batch_size=1000,
    )  # fmt: skip
    # The catalogue (issue 18): a price list per territory pricing its own PER_TERRITORY
    # products, and an order per account
    products = Product.all_objects.bulk_create(
        [Product(sku=f"P{t}.{i}", name=f"P {t}.{i}", change_seq=next(seq))
         for t in range(TERRITORIES) for i in range(PER_TERRITORY)],
        batch_size=1000,
    )  # fmt: skip
    # (and PER_TERRITORY - 1 more lists each, assigned to nothing: a table worth an index)
    every_list = PriceList.all_objects.bulk_create(
        [PriceList(name=f"L{t}.{i}", currency="EUR", change_seq=next(seq))
         for t in territory_rep for i in range(PER_TERRITORY)],
        batch_size=1000,
    )  # fmt: skip
    lists = every_list[::PER_TERRITORY]
    for price_list, territory_id in zip(lists, territory_rep, strict=True):
        price_list.territories.add(territory_id)
    PriceListItem.all_objects.bulk_create(
        [PriceListItem(price_list=lists[i // PER_TERRITORY], product=product, unit_price=1,
                       change_seq=next(seq)) for i, product in enumerate(products)],
        batch_size=1000,
    )  # fmt: skip
    Order.all_objects.bulk_create(
        [Order(kind="order", number=f"O-{i}", account=a, currency="EUR",
               issued_on=dt.date(2026, 1, 1), change_seq=next(seq))
         for i, a in enumerate(accounts)],
        batch_size=1000,
    )  # fmt: skip
    top = next(seq) - 1
    ChangeCounter.objects.update_or_create(pk=1, defaults={"value": top})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return top


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _scans_table(plan: str, table: str) -> bool:
    """Whether the plan reads all of ``table`` (a sequential scan, or SQLite walking a whole
    table or index) rather than looking rows up."""
    if connection.vendor == "postgresql":
        return re.search(rf"Seq Scan on {table}\b", plan) is not None
    return re.search(rf"\bSCAN {table}\b", plan) is not None


@pytest.mark.postgis
@pytest.mark.django_db
def test_each_synced_entity_pulls_by_index_lookups_not_table_scans(world):
    top = _seed(world)  # once: seeding is most of this test's time
    cursor = top - WINDOW
    failures = []
    for persona in ("rep1", "manager"):
        actor = getattr(world, persona)
        for name, entity in sorted(ENTITIES.items()):
            window = pull_rows(entity, actor).filter(change_seq__gt=cursor, change_seq__lte=top)
            plan = _plan(entity.prefetch(window.order_by("change_seq", "pk"))[:500])
            table = entity.model._meta.db_table
            # The entity's rows are found through an index; for a rep, so are the accounts
            # behind a contact, activity, visit or task (the scope). A manager's scope is the
            # region (here every account): hashing it whole may be the planner's cheaper way.
            tables = {table, "accounts_account"} if persona == "rep1" else {table}
            scanned = sorted(t for t in tables if _scans_table(plan, t))
            if scanned or (connection.vendor == "postgresql" and "Index" not in plan):
                failures.append(f"{name} for {persona} scans {scanned}:\n{plan}")
    assert not failures, "\n\n".join(failures)
