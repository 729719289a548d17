"""Manager selectors: the map data's shape, bounded query counts, tags, the dashboard's week."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fieldcrm.accounts.services import account_set_tags
from fieldcrm.manager import selectors
from fieldcrm.manager.dashboard import bars, dashboard, week_of
from fieldcrm.manager.selectors import MapFilters
from fieldcrm.visits.models import Visit
from tests.factories import make_account, make_territory, square


def test_map_data_has_points_territories_and_regions_of_the_scope(world):
    now = timezone.now()
    make_account("Near", lng=1.01, lat=42.01, status="customer", visit_frequency_days=14,
                 last_visited_at=now - dt.timedelta(days=3, hours=1))  # fmt: skip
    make_account("Owned", lng=1.15, lat=42.05, owner=world.rep1)
    make_account("South", lng=1.05, lat=41.05)
    make_account("Nowhere", lng=None)
    data = selectors.map_data(actor=world.manager, filters=MapFilters())
    points = {p.name: p for p in data.accounts}
    assert set(points) == {"Near", "Owned"}
    near = points["Near"]
    assert (near.lat, near.lng, near.status) == (42.01, 1.01, "customer")
    assert (near.territory, near.rep, near.days_since_visit, near.frequency_days) == (
        "A", "rep1", 3, 14
    )  # fmt: skip
    assert points["Owned"].rep == "rep1"  # the owner, though in territory B (rep2)
    assert [(t.name, t.rep, dict(t.account_counts)) for t in data.territories] == [
        ("A", "rep1", {"customer": 1}),
        ("B", "rep2", {"lead": 1}),
    ]
    assert [r.name for r in data.regions] == ["North"]
    assert data.territories[0].geojson["type"] == "MultiPolygon"


def test_map_data_query_count_does_not_grow_with_accounts_or_territories(
    world, django_assert_max_num_queries
):
    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            selectors.map_data(actor=world.manager, filters=MapFilters())
        return len(ctx.captured_queries)

    make_account("One", lng=1.01, lat=42.01, owner=world.rep1)
    few = queries()
    for i in range(30):
        make_account(f"Shop {i}", lng=1.01 + i * 0.005, lat=42.02, owner=world.rep2)
    world.north.boundary = square(1.0, 42.0, 1.2, 42.2)  # room for C: a territory lies inside
    world.north.save()
    make_territory("C", world.north, (1.0, 42.1, 1.1, 42.2), [world.rep1, world.rep2])
    make_account("In C", lng=1.05, lat=42.15)
    assert queries() == few
    with django_assert_max_num_queries(12):
        selectors.map_data(actor=world.manager, filters=MapFilters())


def test_tags_filter_keeps_accounts_with_any_of_the_tags(world):
    vip = make_account("VIP", lng=1.01, lat=42.01)
    bio = make_account("Bio", lng=1.02, lat=42.01)
    make_account("Plain", lng=1.03, lat=42.01)
    account_set_tags(account=vip, tags=["vip"])
    account_set_tags(account=bio, tags=["bio", "late-payer"])

    def names(*tags):
        points = selectors.map_points(actor=world.manager, filters=MapFilters(tags=tags))
        return sorted(p.name for p in points)

    assert names("vip") == ["VIP"]
    assert names("vip", "bio") == ["Bio", "VIP"]
    assert names() == ["Bio", "Plain", "VIP"]


def test_map_filter_form_offers_only_the_scope(world):
    from fieldcrm.manager.forms import MapFilterForm

    form = MapFilterForm({"territory": str(world.territory_s.pk)}, actor=world.manager)
    assert not form.is_valid()
    assert form.filters().territory is None
    choices = [label for _, label in form.fields["rep"].choices]
    assert "rep3" not in choices and "rep1" in choices
    ok = MapFilterForm({"status": ["lead"], "min_days": "5"}, actor=world.manager)
    assert ok.is_valid()
    assert ok.filters() == MapFilters(statuses=("lead",), min_days=5)


def test_week_runs_monday_to_sunday(world):
    wednesday = dt.datetime(2026, 3, 4, 12, tzinfo=dt.timezone.utc)
    days = week_of(actor=world.manager, now=wednesday)
    assert days[0] == dt.date(2026, 3, 2) and days[-1] == dt.date(2026, 3, 8)


def test_bars_scale_to_the_largest_value():
    assert [b.share for b in bars([("a", 2), ("b", 4), ("c", 0)])] == [50.0, 100.0, 0.0]
    assert [b.share for b in bars([("a", 0)])] == [0.0]


def test_dashboard_counts_this_weeks_done_visits_per_rep_and_day(world):
    now = timezone.now()
    shop = make_account("Shop", lng=1.01, lat=42.01)
    Visit.objects.create(account=shop, rep=world.rep1, status="done", completed_at=now)
    Visit.objects.create(account=shop, rep=world.rep1, status="done", completed_at=now)
    Visit.objects.create(account=shop, rep=world.rep1, status="done",
                         completed_at=now - dt.timedelta(days=8))  # fmt: skip
    d = dashboard(actor=world.manager, now=now)
    rows = {r["rep"]: r for r in d.visit_rows}
    assert set(rows) == {"rep1", "rep2"}
    assert rows["rep1"]["total"] == 2 and rows["rep2"]["total"] == 0
    today = d.days.index(timezone.localdate(now))
    assert rows["rep1"]["cells"][today].value == 2


def test_the_map_tag_filter_lists_only_tags_of_accounts_in_scope(world):
    from fieldcrm.accounts.services import account_update

    north = make_account("North shop", lng=1.05, lat=42.05)
    south = make_account("South shop", lng=1.05, lat=41.05)
    account_update(account=north, fields={}, tags=["chain"])
    account_update(account=south, fields={}, tags=["south-only"])
    assert selectors.map_tags(actor=world.manager) == ["chain"]
    assert set(selectors.map_tags(actor=world.admin)) == {"chain", "south-only"}
