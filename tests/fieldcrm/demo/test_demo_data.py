"""The committed demo data set loads once, completely, with the documented logins."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from fieldcrm.access import scoped
from fieldcrm.accounts.models import Account
from fieldcrm.deals.models import Deal
from fieldcrm.demo import load as demo_load
from fieldcrm.orders.models import PriceList, Product
from fieldcrm.plans.models import RouteStop
from fieldcrm.plans.services import plan_job_start
from fieldcrm.tasks.models import Task
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit


def test_demo_loads_completely_once_with_the_documented_logins_and_a_plannable_day(
    db, settings, capsys
):
    # One test, not a module fixture: loading takes seconds (half a minute on PostGIS) and must
    # roll back like any test; so the plannable day below is checked on the same load.
    settings.FIELDCRM_DEMO_PASSWORD = "demo-pass-123"
    settings.FIELDCRM_ROUTING_PROVIDER = "great_circle"
    counts = demo_load.demo_load()

    names = set(User.objects.values_list("username", flat=True))
    assert names == {"admin", "manager", "planner", *(f"rep{i}" for i in range(1, 7))}
    assert User.objects.get(username="rep1").check_password("demo-pass-123")
    assert all(u.home_base for u in User.objects.filter(role="rep"))

    regions = {r.name: r.n for r in Region.objects.annotate(n=Count("territories"))}
    assert regions == {"Andorra": 3, "Helsinki": 3}
    assert all(t.reps.count() == 1 for t in Territory.objects.all())

    assert counts["accounts"] > 1000
    assert not Account.objects.filter(territory__isnull=True).exists()
    assert {"lead", "prospect", "customer"} <= set(Account.objects.values_list("status", flat=True))
    assert not Account.objects.filter(status="customer", owner__isnull=True).exists()
    assert Account.objects.exclude(opening_hours={}).count() == counts["accounts"]
    assert Visit.objects.filter(status="done").count() == counts["visits"] > 0
    assert Deal.objects.count() == counts["deals"] > 0
    assert Task.objects.count() == counts["tasks"] > 0
    assert Product.objects.count() == counts["products"] > 0
    assert set(PriceList.objects.get().territories.all()) == set(Territory.objects.all())

    call_command("load_demo")
    assert "already loaded" in capsys.readouterr().out
    assert Account.objects.count() == counts["accounts"]
    _every_rep_has_a_territory_and_a_plannable_day()


def test_demo_is_refused_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(demo_load.DemoRefused):
        demo_load.demo_load()


def _every_rep_has_a_territory_and_a_plannable_day():
    """Issue 14: the planner can plan both regions' next working day, every rep gets a route,
    and each route holds only accounts that rep's phone can open."""
    reps = list(User.objects.filter(role="rep"))
    assert all(rep.territories.exists() and rep.home_base and rep.shift_start for rep in reps)
    day = timezone.localdate() + dt.timedelta(days=1)
    while day.weekday() >= 5:  # the demo reps work Monday to Friday
        day += dt.timedelta(days=1)
    planner = User.objects.get(username="planner")
    warnings = []
    for region in Region.objects.all():
        job = plan_job_start(actor=planner, region_id=region.pk, date=day, time_limit_s=1)
        assert job.status == "done", job.message
        warnings += job.result["warnings"]
    stops = RouteStop.objects.filter(plan__date=day).select_related("plan__rep", "plan__region")
    assert {s.plan.rep for s in stops} == set(reps)
    for rep in reps:
        outside = stops.filter(plan__rep=rep).exclude(account__in=scoped(Account, rep))
        assert not outside.exists(), (rep, [s.account_id for s in outside])
        # The day starts with the shift (+ the drive, + 15 min), or the planner is told why.
        first = stops.filter(plan__rep=rep).order_by("sequence").first()
        tz = ZoneInfo(first.plan.region.timezone)
        drive = first.arrival_at - dt.datetime.fromisoformat(first.plan.stats["start_at"])
        due = dt.datetime.combine(day, rep.shift_start, tzinfo=tz) + drive
        late = first.start_at > due + dt.timedelta(minutes=15)
        assert not late or any(w.startswith(f"{rep.display_name} starts at") for w in warnings)
