"""The deal board: a pipeline's stages as columns of the caller's deals with totals per
currency; a card moves by its form (what drag and drop sends), a stale card is refused and
shown as it now is; scope as everywhere."""

from __future__ import annotations

import re

import pytest
from django.test import Client

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
