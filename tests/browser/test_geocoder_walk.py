"""Issue 20, the embedded geocoder end to end with every external host blocked (the
``phones`` fixture fails on any request leaving 127.0.0.1; the geocoder is the app's own
index of the committed extracts): a web lead posted with an Andorra address lands in the
territory holding that door and on that territory's rep's phone only; a prospect added on
the spot with no signal gets the nearest address filled in from the phone's offline index.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from fieldcrm.accounts.models import Account
from fieldcrm.leads.models import WebForm
from tests.fieldcrm.geocoding.conftest import EAST_DOOR, WEST_DOOR, move_north_to_andorra

pytestmark = pytest.mark.browser


@pytest.fixture
def andorra(world):
    """Territory A (rep1) the west half of Andorra la Vella's centre, B (rep2) the east."""
    return move_north_to_andorra(world)


def phone_accounts(phone) -> list[str]:
    return phone.page.evaluate(
        "async () => (await fieldcrm.db.allRecords('accounts')).map((a) => a.name)"
    )


def test_a_web_lead_lands_in_its_territory_and_on_that_reps_phone(
    andorra,
    embedded_geocoder,
    phones,
    live_server,
):
    form = WebForm.objects.create(name="Shop site", region=andorra.north)
    body = {"name": "Anna Puig", "company": "Puig Flowers", "address": EAST_DOOR[0]}
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/leads/forms/{form.token}", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )  # fmt: skip
    # The live server's first request loads every API module: slow on a busy machine.
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - the live server
        assert answer.status == 201
    lead = Account.objects.get(name="Puig Flowers")
    assert lead.territory == andorra.territory_b  # the east half holds Avinguda Meritxell 92
    assert lead.geocode_quality == "house_number"

    rep2, rep1 = phones(), phones()
    rep2.login("rep2")
    rep1.login("rep1")
    assert "Puig Flowers" in phone_accounts(rep2)
    assert "Puig Flowers" not in phone_accounts(rep1)


def test_a_prospect_added_offline_gets_the_nearest_address(
    andorra,
    embedded_geocoder,
    phones,
):
    phone = phones()
    phone.login("rep1")
    page = phone.page
    # After the sync, the phone keeps the offline address index of its one territory (A).
    page.wait_for_function("() => document.documentElement.dataset.addressIndexes === '1'",
                           timeout=30_000)  # fmt: skip
    phone.context.set_offline(True)
    page.reload()  # offline: the worker serves the shell, IndexedDB the data and the index
    phone.wait_ready()
    _address, lat, lng = WEST_DOOR
    phone.context.set_geolocation({"latitude": lat, "longitude": lng, "accuracy": 8})
    page.get_by_role("link", name="Prospect").click()
    address = page.get_by_label("Address")
    page.wait_for_function(
        "() => document.querySelector('input[name=address]')?.value !== ''", timeout=30_000
    )
    assert address.input_value() == "Carrer de la Vall 3, Andorra la Vella"
    assert (
        "Nearest address on the offline map" in page.locator("#prospect-address-hint").inner_text()
    )
    page.get_by_label("Name").fill("Corner Shop")
    page.get_by_role("button", name="Save prospect").click()
    phone.wait_pending(1)
    phone.synced_after(lambda: phone.context.set_offline(False))
    prospect = Account.objects.get(name="Corner Shop")
    assert prospect.address == "Carrer de la Vall 3, Andorra la Vella"
    assert prospect.territory == andorra.territory_a
