"""Issue 14, defect 4: Today's mini-map numbers each stop by its place in the route, close
stops share one label instead of stacking, and no label draws over the sticky header.

Regression: the map drew only the stops whose accounts are on the phone and numbered them by
array index (1, 2, 3 for stops 1, 9 and 10); two close stops' labels sat on top of each other;
Leaflet's panes (z-index 400+) painted over the header when the page scrolled.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fieldcrm.visits.models import Visit
from tests.factories import make_account

pytestmark = pytest.mark.browser


@pytest.fixture
def ten_stops(world):
    """rep1's route today: stops 1, 9 and 10 in rep1's territory (9 and 10 a few metres
    apart), stops 2-8 at accounts of rep2's territory, which are not on rep1's phone."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    places = {1: (1.0500, 42.0500), 9: (1.0600, 42.0550), 10: (1.06004, 42.05502)}
    for sequence in range(1, 11):
        lng, lat = places.get(sequence, (1.15 + sequence / 1000, 42.05))
        owner = None if sequence in places else world.rep2
        shop = make_account(f"Stop {sequence}", lng=lng, lat=lat, status="customer", owner=owner)
        Visit.objects.create(
            account=shop, rep=world.rep1, scheduled_on=dt.datetime.now(dt.UTC).date(),
            route_sequence=sequence, planned_arrival_at=start + dt.timedelta(minutes=20 * sequence),
        )  # fmt: skip


LABELS = "() => [...document.querySelectorAll('.map .seq-tip')].map((e) => e.textContent)"


def test_todays_map_numbers_stops_by_sequence_merges_close_labels_and_stays_under_the_header(
    phones, world, ten_stops
):
    phone = phones()
    phone.login("rep1")
    page = phone.page
    stops = page.get_by_role("list", name="Today's stops").get_by_role("listitem")
    assert stops.count() == 10
    assert [s.locator(".seq").inner_text() for s in stops.all()] == [str(n) for n in range(1, 11)]
    assert page.get_by_role("link", name="Navigate to Stop 2").count() == 0  # not on the phone
    page.locator(".map.leaflet-container .seq-tip").first.wait_for()
    # Numbered as in the route, not 1, 2, 3; stops 9 and 10 share one label.
    assert page.evaluate(LABELS) == ["1", "9,10"]

    # Scrolled so a label sits right under the sticky header: the header is drawn on top.
    covered = page.evaluate(
        """() => {
            const header = document.querySelector('header.top');
            const tip = document.querySelector('.map .seq-tip');
            const gap = tip.getBoundingClientRect().top - header.getBoundingClientRect().top;
            window.scrollBy(0, gap - 2);
            const box = tip.getBoundingClientRect();
            const bar = header.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            return {
                under: y > bar.top && y < bar.bottom,
                top: header.contains(document.elementFromPoint(x, y)),
            };
        }"""
    )
    assert covered == {"under": True, "top": True}
