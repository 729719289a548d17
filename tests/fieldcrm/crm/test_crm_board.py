"""The deal board: a pipeline's stages as columns of the caller's deals with totals per
currency; a card moves by its form (what drag and drop sends), a stale card is refused and
shown as it now is; scope as everywhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from fieldcrm.accounts.models import Activity
from fieldcrm.deals.models import Deal, Pipeline, Stage
from tests.factories import make_account


def client_for(world, persona):
    client = Client()
    client.force_login(getattr(world, persona))
    return client


@pytest.fixture
def board(world):
    shop = make_account("Alpha bakery", lng=1.05)
    other = make_account("Gamma shop", lng=1.15)
    south = make_account("Delta south", lng=1.05, lat=41.05)
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stages = [Stage.objects.create(pipeline=pipeline, name=n, position=i, outcome=o)
              for i, (n, o) in enumerate((("Qualify", "open"), ("Proposal", "open"),
                                          ("Won", "won")))]  # fmt: skip
    make = lambda name, account, stage, amount, currency: Deal.objects.create(  # noqa: E731
        account=account, name=name, pipeline=pipeline, stage=stage, amount=amount,
        currency=currency)  # fmt: skip
    return {
        "stages": stages, "pipeline": pipeline,
        "ovens": make("Ovens", shop, stages[0], "100.00", "EUR"),
        "flour": make("Flour", shop, stages[0], "50.50", "EUR"),
        "shelves": make("Shelves", other, stages[0], "300.00", "SEK"),
        "far": make("Far deal", south, stages[0], "999.00", "EUR"),
    }  # fmt: skip


def column(html: str, stage) -> str:
    return re.search(rf'aria-labelledby="stage-{stage.pk}".*?</section>', html, re.S).group(0)


def test_columns_hold_the_callers_deals_with_totals_per_currency(world, board):
    html = client_for(world, "manager").get("/crm/deals/board/").content.decode()
    first = column(html, board["stages"][0])
    assert "Ovens" in first and "Flour" in first and "Shelves" in first and "Far deal" not in html
    assert "(3)" in first and "150.50 EUR" in first and "300.00 SEK" in first
    rep = client_for(world, "rep1").get("/crm/deals/board/").content.decode()
    assert "Ovens" in rep and "Shelves" not in rep and "150.50 EUR" in rep and "SEK" not in rep


def test_a_card_moves_and_the_move_lands_on_the_timeline(world, board):
    ovens, proposal = board["ovens"], board["stages"][1]
    client = client_for(world, "manager")
    answer = client.post(f"/crm/deals/{ovens.pk}/move", {
        "stage": proposal.pk, "based_on": ovens.updated_at.isoformat(),
        "next": "/crm/deals/board/"})  # fmt: skip
    assert answer.status_code == 302 and answer["Location"] == f"/crm/deals/board/#deal-{ovens.pk}"
    ovens.refresh_from_db()
    assert ovens.stage == proposal
    assert Activity.objects.get(deal=ovens).kind == "deal_move"
    html = client.get("/crm/deals/board/").content.decode()
    assert "Ovens" in column(html, proposal) and "Ovens moved to Proposal." in html


def test_a_stale_card_is_refused_and_shown_as_it_now_is(world, board):
    ovens, proposal, won = board["ovens"], board["stages"][1], board["stages"][2]
    seen = ovens.updated_at.isoformat()
    client = client_for(world, "manager")
    client.post(f"/crm/deals/{ovens.pk}/move", {"stage": won.pk, "based_on": seen})
    answer = client.post(f"/crm/deals/{ovens.pk}/move", {"stage": proposal.pk, "based_on": seen})
    assert answer.status_code == 302 and f"changed={ovens.pk}" in answer["Location"]
    ovens.refresh_from_db()
    assert ovens.stage == won
    html = client.get(answer["Location"]).content.decode()
    assert "Ovens changed meanwhile and was not moved: it is now in Won." in html
    assert f'class="crm-deal changed" id="deal-{ovens.pk}"' in html
    assert "Ovens" in column(html, won)


@pytest.mark.parametrize("stage", ["999999", "x", "99999999999999999999999"])
def test_a_bad_stage_is_named_and_nothing_moves(world, board, stage):
    ovens = board["ovens"]
    other = Pipeline.objects.create(name="Other")
    foreign = Stage.objects.create(pipeline=other, name="Elsewhere", position=1)
    client = client_for(world, "manager")
    for value in (stage, str(foreign.pk)):
        answer = client.post(f"/crm/deals/{ovens.pk}/move", {"stage": value})
        assert answer.status_code == 302
        assert "Move to:" in client.get(answer["Location"]).content.decode()
    ovens.refresh_from_db()
    assert ovens.stage == board["stages"][0]


def test_outside_deals_do_not_move_and_planners_only_look(world, board):
    far, ovens = board["far"], board["ovens"]
    for persona in ("rep1", "manager", "planner"):
        answer = client_for(world, persona).post(f"/crm/deals/{far.pk}/move",
                                                 {"stage": board["stages"][1].pk})  # fmt: skip
        assert answer.status_code == 404
    planner = client_for(world, "planner")
    assert "Ovens" in planner.get("/crm/deals/board/").content.decode()
    refused = planner.post(f"/crm/deals/{ovens.pk}/move", {"stage": board["stages"][1].pk})
    assert refused.status_code == 403
    far.refresh_from_db()
    ovens.refresh_from_db()
    assert far.stage == ovens.stage == board["stages"][0]


def test_without_a_pipeline_the_board_says_what_to_do(world):
    html = client_for(world, "manager").get("/crm/deals/board/?pipeline=abc").content.decode()
    assert 'id="crm-empty"' in html and "No pipeline yet." in html


def test_filters_narrow_the_cards_and_the_totals(world, board):
    ovens, flour, far = board["ovens"], board["flour"], board["far"]
    Deal.objects.filter(pk=ovens.pk).update(owner=world.rep1, expected_close_on="2027-03-31")
    Deal.objects.filter(pk=far.pk).update(expected_close_on="2027-03-01")
    admin = client_for(world, "admin")
    first = board["stages"][0]
    north = column(admin.get(f"/crm/deals/board/?region={world.north.pk}").content.decode(), first)
    assert "Far deal" not in north and "Ovens" in north and "(3)" in north
    south = admin.get(f"/crm/deals/board/?region={world.south.pk}").content.decode()
    assert "Far deal" in column(south, first) and "Ovens" not in south
    assert "999.00 EUR" in column(south, first) and 'id="board-filtered"' in south
    mine = column(admin.get(f"/crm/deals/board/?owner={world.rep1.pk}").content.decode(), first)
    assert "Ovens" in mine and "Flour" not in mine and "(1)" in mine and "100.00 EUR" in mine
    march = admin.get("/crm/deals/board/?close_month=2027-03").content.decode()
    assert "Ovens" in march and "Far deal" in march and flour.name not in column(march, first)
    both = admin.get(f"/crm/deals/board/?close_month=2027-03&region={world.north.pk}")
    assert "(1)" in column(both.content.decode(), first)


@pytest.mark.parametrize(
    "query, field",
    [("close_month=2027-13", "Close month"), ("close_month=abc", "Close month"),
     ("owner=99999999999999999999", "Owner"), ("owner=x", "Owner"), ("region=-1", "Region"),
     ("pipeline=99999999999999999999", "Pipeline")],
)  # fmt: skip
def test_a_bad_filter_is_named_and_left_out(world, board, query, field):
    answer = client_for(world, "manager").get(f"/crm/deals/board/?{query}")
    html = answer.content.decode()
    assert answer.status_code == 200 and "Some filters were not used:" in html
    assert f"{field}:" in html
    assert "(3)" in column(html, board["stages"][0])  # nothing narrowed by the bad field


def test_a_filter_outside_the_callers_scope_is_refused(world, board):
    # rep3 works in the South only: not an owner the North's manager may filter by.
    html = client_for(world, "manager").get(f"/crm/deals/board/?owner={world.rep3.pk}")
    assert "Owner:" in html.content.decode()
    south = client_for(world, "manager").get(f"/crm/deals/board/?region={world.south.pk}")
    assert "Region:" in south.content.decode() and "Far deal" not in south.content.decode()


def test_the_forecast_sums_by_close_month_and_currency_weighted_by_stage(world, board):
    qualify, proposal, won = board["stages"]
    Stage.objects.filter(pk=qualify.pk).update(probability=10)
    Stage.objects.filter(pk=proposal.pk).update(probability=60)
    Deal.objects.filter(pk=board["ovens"].pk).update(expected_close_on="2027-03-31")
    Deal.objects.filter(pk=board["flour"].pk).update(expected_close_on="2027-03-02",
                                                     stage=proposal)  # fmt: skip
    Deal.objects.filter(pk=board["shelves"].pk).update(expected_close_on="2027-03-15")
    Deal.objects.filter(pk=board["far"].pk).update(expected_close_on="2027-03-15")
    shop = board["ovens"].account
    Deal.objects.create(account=shop, name="Won one", pipeline=board["pipeline"], stage=won,
                        amount="70.00", currency="EUR",
                        closed_at=timezone.now() - dt.timedelta(days=1))  # fmt: skip
    Deal.objects.create(account=shop, name="Undated", pipeline=board["pipeline"],
                        stage=qualify, amount="5.00", currency="EUR")  # fmt: skip
    from fieldcrm.crm.selectors import BoardFilters, board_deals
    from fieldcrm.deals.forecast import deal_forecast

    deals = board_deals(actor=world.manager, filters=BoardFilters())
    forecast = deal_forecast(deals, today=dt.date(2027, 1, 10))
    months = {m["month"]: m["rows"] for m in forecast["months"]}
    march = {r["currency"]: r for r in months[dt.date(2027, 3, 1)]}
    # Ovens 100 at 10 % + Flour 50.50 at 60 %; the South's deal is not the manager's.
    assert march["EUR"]["count"] == 2 and str(march["EUR"]["amount"]) == "150.50"
    assert str(march["EUR"]["weighted"]) == "40.30"
    assert str(march["SEK"]["amount"]) == "300.00" and str(march["SEK"]["weighted"]) == "30.00"
    assert [r["currency"] for r in months[None]] == ["EUR"] and months[None][0]["count"] == 1
    assert list(months)[-1] is None  # the undated open deals come last
    won_month = [m for m in forecast["months"] if any(r["won"] for r in m["rows"])]
    assert len(won_month) == 1 and str(won_month[0]["rows"][0]["won"]) == "70.00"
    totals = {t["currency"]: t for t in forecast["totals"]}
    assert str(totals["EUR"]["amount"]) == "155.50" and str(totals["EUR"]["won"]) == "70.00"
    html = client_for(world, "manager").get("/crm/deals/board/").content.decode()
    table = re.search(r'id="forecast-table".*?</table>', html, re.S).group(0)
    assert "March 2027" in table and "No close date" in table and "40.30" in table
    assert "999.00" not in table
    rep = client_for(world, "rep2").get("/crm/deals/board/").content.decode()
    table = re.search(r'id="forecast-table".*?</table>', rep, re.S).group(0)
    assert "SEK" in table and "EUR" not in table  # rep2's territory B holds the shelves only
    Deal.objects.filter(account__name="Gamma shop").delete()
    rep = client_for(world, "rep2").get("/crm/deals/board/").content.decode()
    assert 'id="forecast-empty"' in rep


def test_a_long_column_shows_the_newest_cards_and_opens_in_full(world, board):
    from fieldcrm.crm.selectors import BOARD_CARDS

    first = board["stages"][0]
    shop = board["ovens"].account
    Deal.objects.bulk_create(
        Deal(account=shop, name=f"Bulk {n}", pipeline=board["pipeline"], stage=first,
             amount="1.00", currency="EUR")
        for n in range(BOARD_CARDS)
    )  # fmt: skip
    client = client_for(world, "manager")
    html = column(client.get(f"/crm/deals/board/?owner=&region={world.north.pk}")
                  .content.decode(), first)  # fmt: skip
    total = BOARD_CARDS + 3
    assert html.count('<li class="crm-deal') == BOARD_CARDS and "(<span" not in html
    assert f"{BOARD_CARDS} of {total} shown." in html
    more = re.search(r'href="(\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"more={first.pk}" in more and f"region={world.north.pk}" in more
    full = column(client.get("/crm/deals/board/" + more.split("#")[0]).content.decode(), first)
    assert full.count('<li class="crm-deal') == total and "shown." not in full
