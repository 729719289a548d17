"""/crm/settings/pipelines: admins add, rename and remove pipelines, and order, edit and remove
their stages; a pipeline keeps an open, a won and a lost stage; a removed stage's deals move
in one transaction, each logged as a move; the board follows the order."""

import pytest
from django.test import Client

from fieldcrm.access import NotAllowed
from fieldcrm.accounts.models import Activity
from fieldcrm.core.errors import DomainError
from fieldcrm.deals.manage_services import (
    pipeline_delete,
    pipeline_start,
    stage_add,
    stage_delete,
    stage_reorder,
    stage_step,
)
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.deals.services import stage_update
from tests.factories import make_account


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _names(pipeline):
    return list(pipeline.stages.order_by("position").values_list("name", flat=True))


@pytest.fixture
def sales(world):
    pipeline = pipeline_start(actor=world.admin, name="Sales")
    stage_add(actor=world.admin, pipeline_id=pipeline.pk,
              data={"name": "Offer", "outcome": "open", "probability": 50})  # fmt: skip
    return pipeline


def test_a_new_pipeline_starts_open_won_lost_and_new_open_stages_go_before_the_closed(sales):
    assert _names(sales) == ["New", "Offer", "Won", "Lost"]
    assert list(sales.stages.order_by("position").values_list("position", flat=True)) == [
        1, 2, 3, 4]  # fmt: skip


def test_only_admins_start_pipelines(world):
    with pytest.raises(NotAllowed):
        pipeline_start(actor=world.manager, name="Mine")
    assert not Pipeline.objects.exists()


def test_stages_reorder_in_one_go_and_step_by_step_without_position_clashes(world, sales):
    ids = {s.name: s.pk for s in sales.stages.all()}
    stage_reorder(actor=world.admin, pipeline_id=sales.pk,
                  stage_ids=[ids["Offer"], ids["New"], ids["Lost"], ids["Won"]])  # fmt: skip
    assert _names(sales) == ["Offer", "New", "Lost", "Won"]
    stage_step(actor=world.admin, stage_id=ids["Won"], step=-1)
    stage_step(actor=world.admin, stage_id=ids["Offer"], step=-1)  # already first: no change
    assert _names(sales) == ["Offer", "New", "Won", "Lost"]
    with pytest.raises(DomainError) as partial:
        stage_reorder(actor=world.admin, pipeline_id=sales.pk, stage_ids=[ids["New"]])
    assert partial.value.field == "stage"
    assert _names(sales) == ["Offer", "New", "Won", "Lost"]


def test_a_pipeline_keeps_its_last_open_won_and_lost_stage(world, sales):
    won = sales.stages.get(name="Won")
    with pytest.raises(DomainError) as last_won:
        stage_update(actor=world.admin, stage_id=won.pk, data={"outcome": "open"})
    assert last_won.value.field == "outcome" and "“Won”" in last_won.value.message
    with pytest.raises(DomainError) as removed:
        stage_delete(actor=world.admin, stage_id=sales.stages.get(name="Lost").pk)
    assert removed.value.field == "stage"
    # One of two open stages may go, and may become won.
    stage_update(actor=world.admin, stage_id=sales.stages.get(name="Offer").pk,
                 data={"outcome": "won"})  # fmt: skip
    assert sales.stages.filter(outcome="won").count() == 2


def test_removing_a_stage_with_deals_moves_them_all_in_one_transaction(world, sales):
    offer = sales.stages.get(name="Offer")
    won = sales.stages.get(name="Won")
    deals = [
        Deal.objects.create(
            account=make_account(f"Shop {i}"),
            name=f"Deal {i}",
            pipeline=sales,
            stage=offer,
            owner=world.rep1,
        )  # fmt: skip
        for i in range(3)
    ]
    with pytest.raises(DomainError) as no_target:
        stage_delete(actor=world.admin, stage_id=offer.pk)
    assert no_target.value.field == "move_to"
    other = pipeline_start(actor=world.admin, name="Other").stages.first()
    with pytest.raises(DomainError):
        stage_delete(actor=world.admin, stage_id=offer.pk, move_to_id=other.pk)
    assert Stage.objects.filter(pk=offer.pk).exists()
    assert stage_delete(actor=world.admin, stage_id=offer.pk, move_to_id=won.pk) == 3
    assert not Stage.objects.filter(pk=offer.pk).exists()
    for deal in deals:
        deal.refresh_from_db()
        assert deal.stage == won and deal.closed_at is not None
    assert Activity.objects.filter(kind=Activity.Kind.DEAL_MOVE).count() == 3
    assert _names(sales) == ["New", "Won", "Lost"]
    assert list(sales.stages.values_list("position", flat=True)) == [1, 2, 3]


def test_a_pipeline_with_deals_or_the_last_one_is_not_removed(world, sales):
    Deal.objects.create(account=make_account("Shop"), name="Ovens", pipeline=sales,
                        stage=sales.stages.first(), owner=world.rep1)  # fmt: skip
    with pytest.raises(DomainError) as held:
        pipeline_delete(actor=world.admin, pipeline_id=sales.pk)
    assert "1 deals" in held.value.message
    spare = pipeline_start(actor=world.admin, name="Spare")
    Deal.objects.all().delete()
    pipeline_delete(actor=world.admin, pipeline_id=sales.pk)
    with pytest.raises(DomainError):
        pipeline_delete(actor=world.admin, pipeline_id=spare.pk)


def test_the_pipeline_pages_add_order_and_remove_and_the_board_follows(world, sales):
    admin = _client(world.admin)
    assert "pipelines-empty" not in admin.get("/crm/settings/pipelines").content.decode()
    refused = admin.post("/crm/settings/pipelines", {"name": ""})
    assert refused.status_code == 400 and "Pipeline name: This field is required." in (
        refused.content.decode()
    )
    created = admin.post("/crm/settings/pipelines", {"name": "<b>Renewals</b>"})
    assert created.status_code == 302
    renewals = Pipeline.objects.get(name="<b>Renewals</b>")
    page = admin.get(created["Location"]).content.decode()
    assert "&lt;b&gt;Renewals&lt;/b&gt;" in page and "<b>Renewals" not in page
    ids = {s.name: s.pk for s in sales.stages.all()}
    order = [ids["Offer"], ids["New"], ids["Won"], ids["Lost"]]
    assert (
        admin.post(f"/crm/settings/pipelines/{sales.pk}/order", {"stage": order}).status_code == 302
    )
    board = admin.get(f"/crm/deals/board/?pipeline={sales.pk}").content.decode()
    assert board.index(">Offer <") < board.index(">New <") < board.index(">Won <")
    admin.post(f"/crm/settings/stages/{ids['New']}", {"do": "up"})
    assert _names(sales) == ["New", "Offer", "Won", "Lost"]
    too_sure = {"do": "save", "name": "New", "outcome": "open", "probability": 101}
    bad = admin.post(f"/crm/settings/stages/{ids['New']}", too_sure)
    assert bad.status_code == 302 and Stage.objects.get(pk=ids["New"]).probability == 10
    messages = admin.get(bad["Location"]).content.decode()
    assert "Nothing was saved." in messages and "Win probability %" in messages
    Deal.objects.create(account=make_account("Shop"), name="Ovens", pipeline=sales,
                        stage_id=ids["Offer"], owner=world.rep1)  # fmt: skip
    ask = admin.get(f"/crm/settings/stages/{ids['Offer']}/delete").content.decode()
    assert "It holds 1 deal" in ask and 'name="move_to"' in ask
    missing = admin.post(f"/crm/settings/stages/{ids['Offer']}/delete", {"move_to": ""})
    assert missing.status_code == 400 and "Choose the stage" in missing.content.decode()
    done = admin.post(f"/crm/settings/stages/{ids['Offer']}/delete", {"move_to": ids["Lost"]})
    assert done.status_code == 302 and Deal.objects.get().stage_id == ids["Lost"]
    admin.post(f"/crm/settings/pipelines/{renewals.pk}/delete", {"confirm": "1"})
    assert not Pipeline.objects.filter(pk=renewals.pk).exists()


@pytest.mark.parametrize("persona", ["rep1", "manager", "planner"])
def test_only_admins_open_the_pipeline_pages(world, sales, persona):
    client = _client(getattr(world, persona))
    assert client.get("/crm/settings/pipelines").status_code == 403
    assert client.post("/crm/settings/pipelines", {"name": "Mine"}).status_code == 403
    assert not Pipeline.objects.filter(name="Mine").exists()


def test_lost_reasons_take_a_whole_new_order_from_the_drag_and_drop(world):
    from fieldcrm.deals.models import LostReason
    from fieldcrm.deals.services import lost_reason_create

    price, budget, timing = (lost_reason_create(actor=world.admin, name=n)
                             for n in ("Price", "No budget", "Timing"))  # fmt: skip
    admin = _client(world.admin)
    order = [timing.pk, price.pk, budget.pk]
    saved = admin.post("/crm/settings/lost-reasons/order", {"reason": order})
    assert saved.status_code == 302
    assert list(LostReason.objects.values_list("name", flat=True)) == ["Timing", "Price",
                                                                        "No budget"]  # fmt: skip
    partial = admin.post("/crm/settings/lost-reasons/order", {"reason": [price.pk]}, follow=True)
    assert "The order must name every lost reason once" in partial.content.decode()
    assert list(LostReason.objects.values_list("pk", flat=True)) == order
    assert _client(world.manager).post("/crm/settings/lost-reasons/order",
                                       {"reason": order[::-1]}).status_code == 403  # fmt: skip
    assert list(LostReason.objects.values_list("pk", flat=True)) == order
