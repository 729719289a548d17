"""Web leads and import rows with an address and no coordinates are placed by the embedded
geocoder, then land in their territory; the match quality is stored and the low ones are
flagged for review (API filter, workspace list and record page)."""

from __future__ import annotations

import json

from django.test import Client

from fieldcrm.accounts.models import Account, Activity
from fieldcrm.leads.models import WebForm
from tests.factories import make_account
from tests.fieldcrm.accounts.test_imports import upload
from tests.fieldcrm.geocoding.conftest import EAST_DOOR, WEST_DOOR


def post_lead(form, address):
    return Client().post(
        f"/api/v1/leads/forms/{form.token}",
        json.dumps({"name": "Anna Puig", "company": "Puig Flowers", "address": address}),
        content_type="application/json",
    )


def test_a_web_lead_with_an_andorra_address_lands_in_its_territory(andorra, embedded_geocoder):
    form = WebForm.objects.create(name="Shop site", region=andorra.north)
    assert post_lead(form, EAST_DOOR[0]).status_code == 201
    lead = Account.objects.get()
    assert abs(lead.location.y - EAST_DOOR[1]) < 1e-4 and abs(lead.location.x - EAST_DOOR[2]) < 1e-4
    assert lead.territory == andorra.territory_b
    assert (lead.geocode_quality, lead.location_needs_review) == ("house_number", False)
    assert "house number" in Activity.objects.get(account=lead).body


def test_a_lead_found_only_by_its_town_is_flagged_for_review(andorra, embedded_geocoder):
    form = WebForm.objects.create(name="Shop site", region=andorra.north)
    post_lead(form, "Somewhere 12, Andorra la Vella")
    lead = Account.objects.get()
    assert lead.geocode_quality == "place" and lead.location_needs_review
    post_lead(form, "Nowhere Street 3, Gotham")
    lost = Account.objects.exclude(pk=lead.pk).get()
    assert (lost.location, lost.geocode_quality, lost.territory) == (None, "none", None)


CSV = (
    "name,address,lat,lng\n"
    f'West shop,"{WEST_DOOR[0]}",,\n'
    f'East shop,"{EAST_DOOR[0]}",,\n'
    'Town shop,"Andorra la Vella",,\n'
    "Placed shop,Avinguda Meritxell 92,42.509,1.531\n"
)


def test_import_rows_without_coordinates_are_geocoded_into_territories(andorra, embedded_geocoder,
                                                                       as_user):  # fmt: skip
    response = upload(as_user("manager"), CSV.encode())
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["counts"]["create"] == 4
    assert report["geocoded"] == {"house_number": 2, "place": 1}
    by_name = {a.name: a for a in Account.objects.all()}
    assert by_name["West shop"].territory == andorra.territory_a
    assert by_name["East shop"].territory == andorra.territory_b
    assert by_name["West shop"].geocode_quality == "house_number"
    assert by_name["Town shop"].location_needs_review
    # Coordinates in the file win: not geocoded.
    placed = by_name["Placed shop"]
    assert (placed.location.y, placed.geocode_quality) == (42.509, "")


def test_a_second_import_keeps_a_placed_account_where_it_is(andorra, embedded_geocoder, as_user):
    shop = make_account("Kept", lng=1.52, lat=42.505, address=WEST_DOOR[0], external_id="k1")
    content = f'external_id,name,address\nk1,Kept,"{WEST_DOOR[0]}"\n'.encode()
    assert upload(as_user("manager"), content).status_code == 200
    shop.refresh_from_db()
    assert (shop.location.x, shop.location.y, shop.geocode_quality) == (1.52, 42.505, "")


def test_needs_review_filter_and_a_location_set_by_hand_clears_the_flag(andorra,
                                                                        embedded_geocoder,
                                                                        as_user):  # fmt: skip
    upload(as_user("manager"), CSV.encode())
    manager = as_user("manager")
    flagged = manager.get("accounts?needs_review=true").json()["items"]
    assert [a["name"] for a in flagged] == ["Town shop"]
    assert flagged[0]["geocode_quality"] == "place" and flagged[0]["location_needs_review"]
    town = Account.objects.get(name="Town shop")
    answer = manager.patch(f"accounts/{town.pk}", {"location": {"lat": 42.506, "lng": 1.52},
                                                  "version": town.version})  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert answer.json()["geocode_quality"] is None
    assert manager.get("accounts?needs_review=true").json()["items"] == []


def test_the_workspace_shows_the_flag_on_the_list_and_the_record(andorra, embedded_geocoder,
                                                                 as_user, client):  # fmt: skip
    upload(as_user("manager"), CSV.encode())
    client.force_login(andorra.manager)
    listing = client.get("/crm/accounts/?review=yes").content.decode()
    assert "Town shop" in listing and "West shop" not in listing
    assert "check location" in listing
    town = Account.objects.get(name="Town shop")
    page = client.get(f"/crm/accounts/{town.pk}/").content.decode()
    assert 'id="account-review"' in page
    west = Account.objects.get(name="West shop")
    assert 'id="account-review"' not in client.get(f"/crm/accounts/{west.pk}/").content.decode()


def test_without_a_geocoder_rows_without_location_fall_outside_the_scope(andorra, as_user):
    # The rule the geocoder makes pass: a manager's account must land in their region.
    response = upload(as_user("manager"), CSV.encode())
    assert response.status_code == 422
    assert sorted({e["row"] for e in response.json()["errors"]}) == [2, 3, 4]
    assert not Account.objects.exists()
