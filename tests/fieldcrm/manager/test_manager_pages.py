"""Manager pages through HTTP: who may open them, the dashboard's numbers, the map's filters,
the area selection (list, export, assignment) and the standalone download."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from fieldcrm.accounts.models import Account
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.manager import selectors
from fieldcrm.manager.selectors import MapFilters
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account

TILE_URL = "https://tiles.example.test/{z}/{x}/{y}.png"

# A box over the west half of territory A (lng 1.00-1.04): holds A1 and A2, not A3 or B1.
WEST_OF_A = {
    "type": "Polygon",
    "coordinates": [[[1.0, 42.0], [1.04, 42.0], [1.04, 42.1], [1.0, 42.1], [1.0, 42.0]]],
}
ALL_NORTH = {
    "type": "Polygon",
    "coordinates": [[[0.9, 41.9], [1.3, 41.9], [1.3, 42.2], [0.9, 42.2], [0.9, 41.9]]],
}
ALL_SOUTH = {
    "type": "Polygon",
    "coordinates": [[[0.9, 40.9], [1.3, 40.9], [1.3, 41.2], [0.9, 41.2], [0.9, 40.9]]],
}


@pytest.fixture
def shops(world):
    now = timezone.now()
    return {
        "a1": make_account("A1 bakery", lng=1.01, lat=42.02, status="customer",
                           visit_frequency_days=7, last_visited_at=now - dt.timedelta(days=2)),
        "a2": make_account("A2 kiosk", lng=1.03, lat=42.05, status="lead",
                           visit_frequency_days=7),
        "a3": make_account("A3 café", lng=1.06, lat=42.06, status="prospect",
                           last_visited_at=now - dt.timedelta(days=40)),
        "b1": make_account("B1 market", lng=1.15, lat=42.05, status="customer",
                           owner=world.rep1, last_visited_at=now - dt.timedelta(days=10)),
        "s1": make_account("S1 south shop", lng=1.05, lat=41.05, status="customer"),
        "gone": make_account("A4 corner", lng=1.02, lat=42.03, status="lead"),
    }  # fmt: skip


def login(world, persona: str) -> Client:
    client = Client()
    client.force_login(getattr(world, persona))
    return client


def post_json(client: Client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


# --------------------------------------------------------------------------------- access

PAGES = ["/manager/", "/manager/map", "/manager/map/frame", "/manager/map/download"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", ["rep1", "planner"])
def test_only_managers_and_admins_open_manager_pages(world, url, persona):
    assert login(world, persona).get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_user_is_sent_to_login(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


PREVIEW = "/manager/map/selection/assign/preview"


@pytest.mark.parametrize("url", ["/manager/map/selection", PREVIEW])
def test_rep_cannot_select_or_assign(world, shops, url):
    response = post_json(login(world, "rep1"), url, {"area": ALL_NORTH, "owner_id": 1})
    assert response.status_code == 403
    assert Account.objects.get(pk=shops["a1"].pk).owner is None


@pytest.mark.parametrize("persona", ["manager", "admin"])
@pytest.mark.parametrize("url", ["/manager/", "/manager/map"])
def test_manager_and_admin_open_the_pages(world, shops, persona, url):
    response = login(world, persona).get(url)
    assert response.status_code == 200
    assert b"<html" in response.content


# ------------------------------------------------------------------------------ dashboard


def test_dashboard_shows_this_weeks_visits_coverage_pipeline_and_overdue(world, shops):
    now = timezone.now()
    Visit.objects.create(account=shops["a1"], rep=world.rep1, status="done", completed_at=now)
    Visit.objects.create(account=shops["s1"], rep=world.rep3, status="done", completed_at=now)
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stage = Stage.objects.create(pipeline=pipeline, name="Proposal sent", position=0,
                                 probability=50)  # fmt: skip
    Deal.objects.create(account=shops["a1"], pipeline=pipeline, stage=stage, name="Ovens",
                        amount=1000)  # fmt: skip
    Task.objects.create(title="Call about ovens", assignee=world.rep2, account=shops["b1"],
                        due_at=now - dt.timedelta(days=1))  # fmt: skip
    Task.objects.create(title="South overdue", assignee=world.rep3, account=shops["s1"],
                        due_at=now - dt.timedelta(days=1))  # fmt: skip
    page = login(world, "manager").get("/manager/").content.decode()
    assert "rep1" in page and "rep2" in page
    assert "rep3" not in page  # South is not the manager's region
    assert "Proposal sent" in page and "1000" in page
    assert "Call about ovens" in page and "South overdue" not in page
    assert "1 overdue task" in page
    assert page.count("<svg") >= 7 + 3  # a column per day per rep, plus bars
    assert 'role="img"' in page


def test_dashboard_is_right_to_left_in_persian(world, shops):
    client = login(world, "manager")
    page = client.get("/manager/", headers={"accept-language": "fa"}).content.decode()
    assert 'dir="rtl"' in page


# ------------------------------------------------------------------------------ map page


def test_map_page_embeds_the_frame_with_the_filters(world, shops):
    page = login(world, "manager").get("/manager/map?status=lead&min_days=5").content.decode()
    assert 'src="/manager/map/frame?status=lead&amp;min_days=5"' in page
    assert "/manager/map/download?status=lead&amp;min_days=5" in page
    assert "South" not in page  # no South region or territory S among the choices


def test_map_frame_draws_only_the_managers_region(world, shops, settings):
    settings.FIELDCRM_TILE_URL = TILE_URL
    response = login(world, "manager").get("/manager/map/frame")
    assert response.status_code == 200
    assert response.get("X-Frame-Options") == "SAMEORIGIN"
    page = response.content.decode()
    assert "A1 bakery" in page and "B1 market" in page
    assert "S1 south shop" not in page
    assert "fieldcrmOnDraw" in page  # the draw hook is on


def test_map_frame_is_gzipped_for_browsers_that_accept_it(world, shops):
    client = login(world, "manager")
    response = client.get("/manager/map/frame", headers={"accept-encoding": "gzip"})
    assert response.get("Content-Encoding") == "gzip"


def test_out_of_scope_filter_is_refused_not_widened(world, shops):
    client = login(world, "manager")
    page = client.get(f"/manager/map/frame?territory={world.territory_s.pk}").content.decode()
    assert "S1 south shop" not in page
    form_page = client.get(f"/manager/map?territory={world.territory_s.pk}").content.decode()
    assert "errorlist" in form_page


def test_download_is_standalone_with_no_external_url_but_the_tiles(world, shops, settings):
    settings.FIELDCRM_TILE_URL = TILE_URL
    response = login(world, "manager").get("/manager/map/download")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="territory-map-')
    page = response.content.decode()
    assert "A1 bakery" in page
    assert "<script src=" not in page and '<link rel="stylesheet" href="/' not in page
    # What a browser fetches: src attributes, <link href>, CSS url() and @import. All inlined
    # (data:) or in-page (#), except the tile URL. Vendor code still *mentions* URLs in licence
    # comments, namespaces and the "Leaflet" attribution link; those are never fetched.
    fetched = re.findall(r"""\bsrc\s*=\s*["']([^"']+)["']""", page)
    fetched += re.findall(r"""<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']""", page)
    fetched += re.findall(r"""url\(\s*["']?([^)"']+)""", page)
    fetched += re.findall(r"""@import\s+["']([^"']+)""", page)
    assert fetched, "the check must see the page's links"
    assert [u for u in fetched if not u.startswith(("data:", "#"))] == []
    assert TILE_URL in page
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "code.jquery.com", "bootstrapcdn"):
        assert cdn not in page


# ----------------------------------------------------------------------------- selection


def test_selection_lists_the_accounts_inside_the_polygon(world, shops):
    response = post_json(login(world, "manager"), "/manager/map/selection", {"area": WEST_OF_A})
    assert response.status_code == 200
    names = [a["name"] for a in response.json()["accounts"]]
    assert names == ["A1 bakery", "A2 kiosk", "A4 corner"]
    assert response.json()["count"] == 3


def test_selection_takes_a_feature_and_the_map_filters(world, shops):
    feature = {"type": "Feature", "properties": {}, "geometry": ALL_NORTH}
    client = login(world, "manager")
    response = post_json(client, "/manager/map/selection?status=customer", {"area": feature})
    assert [a["name"] for a in response.json()["accounts"]] == ["A1 bakery", "B1 market"]


def test_selection_outside_the_region_is_empty(world, shops):
    response = post_json(login(world, "manager"), "/manager/map/selection", {"area": ALL_SOUTH})
    assert response.json() == {"count": 0, "accounts": [], "truncated": False}


@pytest.mark.parametrize(
    "area",
    [
        None,
        "not json",
        {"type": "Point", "coordinates": [1, 42]},
        {"type": "Polygon", "coordinates": [[[1, 42], [2, 43], [1, 43], [2, 42], [1, 42]]]},
        {"type": "Polygon", "coordinates": "nonsense"},
    ],
)
def test_selection_refuses_what_is_not_a_valid_polygon(world, area):
    response = post_json(login(world, "manager"), "/manager/map/selection", {"area": area})
    assert response.status_code == 400
    assert response.json()["detail"][0]["msg"]


def test_selection_export_is_csv_of_the_accounts_inside(world, shops):
    client = login(world, "manager")
    response = client.post(
        "/manager/map/selection/export.csv?status=lead&status=customer",
        {"area": json.dumps(WEST_OF_A)},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(r["name"] for r in rows) == ["A1 bakery", "A2 kiosk", "A4 corner"]


def test_assign_previews_the_selection_and_writes_nothing(world, shops):
    client = login(world, "manager")
    response = post_json(client, PREVIEW, {"area": WEST_OF_A, "owner_id": world.rep2.pk})
    assert response.status_code == 200, response.content
    preview = response.json()
    assert preview["count"] == 3 and preview["field"] == "owner"
    assert sorted(c["name"] for c in preview["changes"]) == ["A1 bakery", "A2 kiosk", "A4 corner"]
    assert sorted(preview["account_ids"]) == sorted(c["id"] for c in preview["changes"])
    # Territory A is rep1's: rep2 (same region) may take them, with a warning on each.
    assert all("territory A" in c["warnings"][0] for c in preview["changes"])
    assert not Account.objects.filter(owner=world.rep2).exists()
    # Applying what was previewed goes through the bulk-changes API, with the page's session.
    applied = post_json(client, "/api/v1/bulk-changes", {
        "field": "owner", "value": world.rep2.pk, "account_ids": preview["account_ids"],
    })  # fmt: skip
    assert applied.status_code == 201, applied.content
    owners = dict(Account.objects.values_list("name", "owner__username"))
    assert owners["A1 bakery"] == owners["A2 kiosk"] == "rep2"
    assert owners["A3 café"] is None and owners["B1 market"] == "rep1"
    a1 = Account.objects.get(pk=shops["a1"].pk)
    assert a1.territory_id == world.territory_a.pk  # still derived from the location
    assert a1.version == shops["a1"].version + 1


def test_assign_to_someone_outside_the_region_is_refused_naming_the_rep(world, shops):
    client = login(world, "manager")
    response = post_json(client, PREVIEW, {"area": WEST_OF_A, "owner_id": world.rep3.pk})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "value"]
    assert not Account.objects.filter(owner=world.rep3).exists()


def test_assign_of_an_empty_area_or_without_a_rep_is_422(world, shops):
    client = login(world, "manager")
    empty = post_json(client, PREVIEW, {"area": ALL_SOUTH, "owner_id": world.rep2.pk})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "area"]
    bad = post_json(client, PREVIEW, {"area": WEST_OF_A, "owner_id": "rep2"})
    assert bad.status_code == 422


def test_map_page_offers_undo_of_the_last_bulk_change_after_a_reload(world, shops):
    from fieldcrm.bulk.services import bulk_change_apply, bulk_change_undo

    client = login(world, "manager")
    bulk_change_apply(actor=world.manager, field="owner", value=world.rep2.pk,
                      account_ids=[shops["a1"].pk])  # fmt: skip

    def config():
        page = client.get("/manager/map").content.decode()
        raw = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', page)
        return json.loads(raw.group(1))

    last = config()["lastChange"]
    assert last["count"] == 1 and last["accounts"][0]["name"] == "A1 bakery"
    bulk_change_undo(actor=world.manager)
    assert config()["lastChange"] is None


def test_map_points_follow_the_filters(world, shops):
    def names(**kw):
        points = selectors.map_points(actor=world.manager, filters=MapFilters(**kw))
        return sorted(p.name for p in points)

    everyone = ["A1 bakery", "A2 kiosk", "A3 café", "A4 corner", "B1 market"]
    assert names() == everyone
    assert names(territory=world.territory_b.pk) == ["B1 market"]
    assert names(statuses=("prospect",)) == ["A3 café"]
    assert names(rep=world.rep1.pk) == everyone  # territory A's accounts plus B1 they own
    assert names(rep=world.rep2.pk) == ["B1 market"]
    assert names(min_days=30) == ["A2 kiosk", "A3 café", "A4 corner"]  # never or 40 days
    assert names(max_days=7) == ["A1 bakery"]
    assert names(region=world.south.pk) == []


def test_assign_changes_only_the_owner_of_an_account_with_a_stale_custom_field(world, shops):
    # A2 holds a value for a custom field that was since removed. A bulk change validates the
    # field it sets (the owner), so A2 changes hands; its other fields are not rewritten.
    Account.objects.filter(pk=shops["a2"].pk).update(custom_fields={"vat": "X1"})
    client = login(world, "manager")
    preview = post_json(client, PREVIEW, {"area": WEST_OF_A, "owner_id": world.rep2.pk}).json()
    assert preview["count"] == 3
    applied = post_json(client, "/api/v1/bulk-changes", {
        "field": "owner", "value": world.rep2.pk, "account_ids": preview["account_ids"],
    })  # fmt: skip
    assert applied.status_code == 201
    a2 = Account.objects.get(pk=shops["a2"].pk)
    assert a2.owner == world.rep2 and a2.custom_fields == {"vat": "X1"}


def test_selection_export_is_capped_like_the_accounts_export(world, shops, monkeypatch):
    from fieldcrm.accounts import exports

    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    client = login(world, "manager")
    response = client.post("/manager/map/selection/export.csv", {"area": json.dumps(WEST_OF_A)})
    assert response.status_code == 422
    assert "at most 2" in response.json()["detail"][0]["msg"]
