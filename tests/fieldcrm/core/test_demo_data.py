"""The committed demo data set loads once, completely, with the documented logins."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from fieldcrm.accounts.models import Account
from fieldcrm.core import demo_load
from fieldcrm.deals.models import Deal
from fieldcrm.tasks.models import Task
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        counts = demo_load.demo_load()
    yield counts
    with django_db_blocker.unblock():
        for model in (Visit, Task, Deal, Account, Territory, Region, User):
            model._base_manager.all().delete()


@pytest.fixture(scope="module", autouse=True)
def _demo_password():
    from django.conf import settings

    old, settings.FIELDCRM_DEMO_PASSWORD = settings.FIELDCRM_DEMO_PASSWORD, "demo-pass-123"
    yield
    settings.FIELDCRM_DEMO_PASSWORD = old


def test_demo_has_the_documented_logins(demo, db):
    names = set(User.objects.values_list("username", flat=True))
    assert names == {"admin", "manager", "planner", *(f"rep{i}" for i in range(1, 7))}
    assert User.objects.get(username="rep1").check_password("demo-pass-123")
    assert all(u.home_base for u in User.objects.filter(role="rep"))


def test_demo_regions_are_cut_into_territories_with_one_rep_each(demo, db):
    regions = {r.name: r for r in Region.objects.annotate(n=Count("territories"))}
    assert set(regions) == {"Andorra", "Helsinki"}
    assert all(r.n == 3 for r in regions.values())
    assert all(t.reps.count() == 1 for t in Territory.objects.all())


def test_every_demo_account_sits_in_a_territory_of_its_region(demo, db):
    assert demo["accounts"] > 1000
    assert not Account.objects.filter(territory__isnull=True).exists()
    statuses = set(Account.objects.values_list("status", flat=True))
    assert {"lead", "prospect", "customer"} <= statuses


def test_demo_has_history_deals_and_tasks_due_around_today(demo, db):
    assert Visit.objects.filter(status="done").count() == demo["visits"] > 0
    assert Deal.objects.count() == demo["deals"] > 0
    assert Task.objects.count() == demo["tasks"] > 0
    assert Account.objects.exclude(opening_hours={}).count() == demo["accounts"]


def test_loading_twice_keeps_the_data(demo, db, capsys):
    before = Account.objects.count()
    call_command("load_demo")
    assert "already loaded" in capsys.readouterr().out
    assert Account.objects.count() == before


def test_demo_is_refused_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(demo_load.DemoRefused):
        demo_load.demo_load()
