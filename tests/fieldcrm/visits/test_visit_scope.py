"""A visit and a task are seen where their account is (plus the rep who made it).

Regression: a manager read the visit notes a rep of their region wrote at another region's
account, which the manager cannot see; the rule followed the rep, not the account.
"""

from __future__ import annotations

from django.utils import timezone

from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account


def _elsewhere(world):
    """rep1 (North) owns an account in South and logs a visit and a task there."""
    account = make_account("Far shop", lng=1.1, lat=41.05, status="customer", owner=world.rep1)
    visit = Visit.objects.create(
        account=account, rep=world.rep1, status=Visit.Status.DONE,
        checked_in_at=timezone.now(), completed_at=timezone.now(), notes="secret terms",
    )  # fmt: skip
    task = Task.objects.create(title="Call back", account=account, assignee=world.rep1)
    return account, visit, task


def test_a_manager_does_not_read_a_visit_at_an_account_outside_their_regions(as_user, world):
    account, visit, task = _elsewhere(world)
    manager = as_user("manager")
    assert manager.get(f"accounts/{account.pk}").status_code == 404
    assert manager.get(f"visits/{visit.pk}").status_code == 404
    assert str(visit.pk) not in manager.get("visits?limit=500").content.decode()
    assert manager.get(f"tasks/{task.pk}").status_code == 404


def test_the_rep_who_made_the_visit_still_reads_it(as_user, world):
    _account, visit, task = _elsewhere(world)
    rep = as_user("rep1")
    assert rep.get(f"visits/{visit.pk}").json()["notes"] == "secret terms"
    assert rep.get(f"tasks/{task.pk}").status_code == 200


def test_a_manager_sees_a_region_reps_own_to_do_without_an_account(as_user, world):
    task = Task.objects.create(title="Expense report", assignee=world.rep1)
    assert as_user("manager").get(f"tasks/{task.pk}").status_code == 200
    assert as_user("rep3").get(f"tasks/{task.pk}").status_code == 404
