"""The accounts list's "inside a drawn area" filter in Chromium (issue 16): a manager opens
"Draw an area", drags a rectangle on the map around three of four accounts, the list narrows to
them; saves that as a segment, and the API's ?segment= answers the same ids. Under the
Content-Security-Policy, no page error."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from fieldcrm.crm.models import Segment
from tests.factories import make_account

pytestmark = pytest.mark.browser


@pytest.fixture
def accounts(world):
    return [
        make_account("West one", lng=1.03, lat=42.04, status="customer", owner=world.rep1),
        make_account("West two", lng=1.05, lat=42.06, status="customer"),
        make_account("West three", lng=1.07, lat=42.05, status="prospect"),
        make_account("East far", lng=1.17, lat=42.05, status="customer"),
    ]


def area_of(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("area", [""])[0]


def rows(page) -> list[str]:
    return page.locator("#crm-accounts tbody th a").all_inner_texts()


def test_a_manager_draws_a_rectangle_saves_it_as_a_segment_and_the_api_agrees(
    laptops, world, accounts
):
    page = laptops("manager", "/crm/accounts/")
    assert len(rows(page)) == 4
    toggle = page.get_by_text("Draw an area", exact=True)
    toggle.click()
    page.locator("#crm-area-map[data-ready]").wait_for(state="attached")
    button = page.get_by_role("link", name="Draw a rectangle")
    assert button.is_visible()
    # The accounts' dots, west to east: drag from beyond the first to between the third and
    # the fourth.
    dots = page.locator("#crm-area-map .leaflet-overlay-pane path")
    assert dots.count() == 4
    boxes = sorted((dots.nth(i).bounding_box() for i in range(4)), key=lambda b: b["x"])
    centre = [(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2) for b in boxes]
    top = min(y for _x, y in centre) - 25
    bottom = max(y for _x, y in centre) + 25
    button.click()
    page.mouse.move(centre[0][0] - 25, top)
    page.mouse.down()
    page.mouse.move((centre[2][0] + centre[3][0]) / 2, bottom, steps=6)
    with page.expect_navigation():
        page.mouse.up()
    assert area_of(page.url)
    west = ["West one", "West three", "West two"]
    assert rows(page) == west
    # The page opened with an area: the map is open and draws it.
    page.locator("#crm-area-map[data-ready]").wait_for(state="attached")
    assert page.locator("#crm-area-map .leaflet-overlay-pane path").count() == 4  # 3 dots + area

    page.locator("#crm-save-segment summary").click()
    page.get_by_label("Segment name").fill("West side")
    page.locator("#crm-segment-save").click()
    page.get_by_text("Segment saved.").wait_for()
    segment = Segment.objects.get()
    assert list(segment.query) == ["area"]
    assert rows(page) == west
    base = page.url.split("/crm/")[0]
    answer = page.request.get(f"{base}/api/v1/accounts?segment={segment.pk}")
    assert answer.status == 200
    expected = sorted(str(a.pk) for a in accounts[:3])
    assert sorted(str(item["id"]) for item in answer.json()["items"]) == expected

    page.get_by_role("button", name="Clear area").click()
    page.wait_for_url(lambda url: "/crm/accounts/?" in url and not area_of(url))
    assert len(rows(page)) == 4
