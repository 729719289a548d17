"""/planner/: planners see the day, its routes on a local-asset map; reps are refused."""

from __future__ import annotations

import re

from django.test import Client

from fieldcrm.plans.models import RoutePlan
from tests.fieldcrm.plans.conftest import generate


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_planner_page_shows_drafts_with_move_and_publish(as_user, world, plannable, tomorrow):
    generate(as_user("planner"), world, tomorrow)
    response = _client(world.planner).get(f"/planner/?region={world.north.pk}&date={tomorrow}")
    assert response.status_code == 200
    html = response.content.decode()
    for plan in RoutePlan.objects.filter(date=tomorrow):
        assert f'data-publish="{plan.pk}"' in html
    assert "data-move=" in html and 'id="pl-generate"' in html
    assert f"/planner/map?region={world.north.pk}&amp;date={tomorrow}" in html


def test_route_map_draws_every_rep_and_uses_only_local_assets(
    as_user, world, plannable, tomorrow, settings
):
    settings.FIELDCRM_TILE_URL = "http://tiles.test/{z}/{x}/{y}.png"
    generate(as_user("planner"), world, tomorrow)
    response = _client(world.planner).get(f"/planner/map?region={world.north.pk}&date={tomorrow}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "rep1" in html and "rep2" in html and "Shop 0" in html
    external = {u for u in re.findall(r"https?://[^\s\"')]+", html) if "tiles.test" not in u}
    assert not {u for u in external if not u.startswith("http://www.w3.org")}


def test_planner_page_works_right_to_left(world, plannable):
    client = _client(world.planner)
    response = client.get("/planner/", HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 200
    assert 'dir="rtl"' in response.content.decode()


def test_a_rep_gets_403_and_a_visitor_the_login_page(world):
    assert _client(world.rep1).get("/planner/").status_code == 403
    assert _client(world.rep1).get("/planner/map").status_code == 403
    response = Client().get("/planner/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_region_outside_the_planners_is_404(world):
    assert _client(world.planner).get(f"/planner/?region={world.south.pk}").status_code == 404


def test_a_finished_run_is_summed_up_once_and_a_published_plan_offers_unpublish(
    as_user, world, plannable, tomorrow
):
    job = generate(as_user("planner"), world, tomorrow).json()
    plan = RoutePlan.objects.get(rep=world.rep1, date=tomorrow)
    as_user("planner").post(f"plans/{plan.pk}/publish")
    response = _client(world.planner).get(f"/planner/?region={world.north.pk}&date={tomorrow}")
    html = response.content.decode()
    assert html.count("Last run:") == 1 and job["message"] not in html
    assert f'data-unpublish="{plan.pk}"' in html and f'data-publish="{plan.pk}"' not in html
