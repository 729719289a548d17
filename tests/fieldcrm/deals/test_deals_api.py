"""/api/v1/deals, /pipelines, /stages through HTTP, as the personas."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fieldcrm.accounts.models import Activity
from fieldcrm.deals.models import Deal, Pipeline, Stage
from tests.factories import make_account


@pytest.fixture
def sales(world):
    Pipeline.objects.update(is_default=False)  # demo data may hold a default pipeline
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stages = {
        name: Stage.objects.create(
            pipeline=pipeline, name=name, position=i, probability=p, outcome=o
        )
        for i, (name, p, o) in enumerate(
            [("New", 10, "open"), ("Offer", 50, "open"), ("Won", 100, "won"), ("Lost", 0, "lost")]
        )
    }
    other = Pipeline.objects.create(name="Other")
    stages["other"] = Stage.objects.create(pipeline=other, name="Start", position=0)
    a1 = make_account("Alpha", lng=1.02, lat=42.02)
    b1 = make_account("Gamma", lng=1.15, lat=42.05)
    s1 = make_account("South", lng=1.05, lat=41.05)
    return {"pipeline": pipeline, "other": other, "stages": stages, "a1": a1, "b1": b1, "s1": s1}


def deal(account, stage, amount, owner=None, name="Deal"):
    return Deal.objects.create(
        account=account, name=name, pipeline=stage.pipeline, stage=stage, amount=amount, owner=owner
    )


def test_rep_creates_a_deal_in_the_default_pipelines_first_stage(as_user, world, sales):
    response = as_user("rep1").post(
        "deals", {"account_id": str(sales["a1"].pk), "name": "Coffee machines", "amount": "1200.50"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["pipeline_id"] == sales["pipeline"].pk
    assert body["stage_name"] == "New" and body["outcome"] == "open"
    assert body["owner_id"] == world.rep1.pk
    assert float(body["amount"]) == 1200.5


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": ""}, "name"), ({"amount": "-1"}, "amount"), ({"amount": "1.234"}, "amount"),
     ({"currency": "euro"}, "currency"), ({"stage_id": "OTHER"}, "stage_id"),
     ({"pipeline_id": 999999}, "pipeline_id"), ({"account_id": "B1"}, "account_id"),
     ({"owner_id": "REP3"}, "owner_id")],
)  # fmt: skip
def test_bad_create_is_422_naming_the_field_and_saves_nothing(as_user, world, sales, body, field):
    subs = {"OTHER": sales["stages"]["other"].pk, "B1": str(sales["b1"].pk), "REP3": world.rep3.pk}
    body = {k: subs.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    payload = {"account_id": str(sales["a1"].pk), "name": "X", "pipeline_id": sales["pipeline"].pk}
    response = as_user("rep1").post("deals", {**payload, **body})
    assert response.status_code == 422, response.content
    assert field in str(response.json()["detail"])
    assert not Deal.objects.exists()


def test_move_to_won_closes_and_logs_an_activity_and_back_reopens(as_user, sales):
    d = deal(sales["a1"], sales["stages"]["New"], 100)
    rep1 = as_user("rep1")
    won = rep1.post(f"deals/{d.pk}/move", {"stage_id": sales["stages"]["Won"].pk})
    assert won.status_code == 200, won.content
    assert won.json()["outcome"] == "won" and won.json()["closed_at"]
    assert Activity.objects.get(deal=d).kind == "deal_move"
    back = rep1.post(f"deals/{d.pk}/move", {"stage_id": sales["stages"]["Offer"].pk})
    assert back.json()["closed_at"] is None


def test_move_to_a_stage_of_another_pipeline_is_refused(as_user, sales):
    d = deal(sales["a1"], sales["stages"]["New"], 100)
    response = as_user("rep1").post(f"deals/{d.pk}/move", {"stage_id": sales["stages"]["other"].pk})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "stage_id"]
    assert Deal.objects.get(pk=d.pk).stage == sales["stages"]["New"]
    assert not Activity.objects.exists()


def test_list_scope_and_filters(as_user, world, sales):
    st = sales["stages"]
    deal(sales["a1"], st["New"], 100, owner=world.rep1)
    deal(sales["a1"], st["Won"], 200, owner=world.rep1)
    deal(sales["b1"], st["Lost"], 300, owner=world.rep2)
    deal(sales["s1"], st["New"], 400, owner=world.rep3)
    assert as_user("rep1").get("deals").json()["count"] == 2
    assert as_user("admin").get("deals").json()["count"] == 4
    manager = as_user("manager")
    assert manager.get("deals").json()["count"] == 3
    assert manager.get("deals?status=open").json()["count"] == 1
    assert manager.get(f"deals?owner={world.rep2.pk}").json()["count"] == 1
    assert manager.get(f"deals?stage={st['Won'].pk}").json()["count"] == 1
    assert manager.get(f"deals?account={sales['a1'].pk}").json()["count"] == 2
    assert manager.get(f"deals?pipeline={sales['other'].pk}").json()["count"] == 0
    assert manager.get("deals?status=maybe").status_code == 422
    assert manager.get("deals?colour=red").json()["detail"][0]["loc"] == ["query", "colour"]


def test_out_of_scope_deal_is_404_like_a_missing_one(as_user, sales):
    d = deal(sales["b1"], sales["stages"]["New"], 1)
    rep1 = as_user("rep1")
    outside, missing = rep1.get(f"deals/{d.pk}"), rep1.get("deals/999999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert (
        rep1.post(f"deals/{d.pk}/move", {"stage_id": sales["stages"]["Won"].pk}).status_code == 404
    )
    assert rep1.patch(f"deals/{d.pk}", {"amount": "5"}).status_code == 404


def test_planner_reads_but_may_not_change_deals(as_user, sales):
    d = deal(sales["a1"], sales["stages"]["New"], 1)
    planner = as_user("planner")
    assert planner.get(f"deals/{d.pk}").status_code == 200
    assert planner.patch(f"deals/{d.pk}", {"amount": "5"}).status_code == 403
    body = {"account_id": str(sales["a1"].pk), "name": "X"}
    assert planner.post("deals", body).status_code == 403


def test_patch_edits_fields_and_refuses_bad_values(as_user, sales):
    d = deal(sales["a1"], sales["stages"]["New"], 1)
    manager = as_user("manager")
    ok = manager.patch(f"deals/{d.pk}", {"amount": "99.90", "expected_close_on": "2026-06-30"})
    assert ok.status_code == 200, ok.content
    assert float(ok.json()["amount"]) == 99.9
    bad = manager.patch(f"deals/{d.pk}", {"amount": None})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "amount"]


def test_board_counts_and_sums_only_deals_the_caller_may_see(as_user, world, sales):
    st = sales["stages"]
    deal(sales["a1"], st["New"], 100)
    deal(sales["a1"], st["Offer"], 200)
    deal(sales["a1"], st["Offer"], 50)
    deal(sales["b1"], st["Offer"], 1000)
    url = f"pipelines/{sales['pipeline'].pk}/board"
    board = as_user("rep1").get(url).json()
    offer = board["stages"][1]
    assert [s["name"] for s in board["stages"]] == ["New", "Offer", "Won", "Lost"]
    assert offer["count"] == 2
    assert offer["totals"] == [{"currency": "EUR", "amount": "250.00", "weighted": "125.00"}]
    assert board["count"] == 3
    assert as_user("manager").get(url).json()["count"] == 4
    assert as_user("rep3").get(url).json()["count"] == 0


def test_deal_list_query_count_does_not_grow_with_rows(as_user, world, sales):
    manager = as_user("manager")
    deal(sales["a1"], sales["stages"]["New"], 1)
    with CaptureQueriesContext(connection) as few:
        manager.get("deals")
    for i in range(8):
        deal(sales["a1" if i % 2 else "b1"], sales["stages"]["Offer"], i)
    with CaptureQueriesContext(connection) as many:
        assert manager.get("deals").json()["count"] == 9
    assert len(many) == len(few) <= 6


def test_everyone_reads_pipelines_in_order(as_user, sales):
    body = [p for p in as_user("rep1").get("pipelines").json() if p["name"] in ("Other", "Sales")]
    assert [p["name"] for p in body] == ["Other", "Sales"]
    assert [s["position"] for s in body[1]["stages"]] == [0, 1, 2, 3]
    assert as_user("planner").get(f"pipelines/{sales['pipeline'].pk}").status_code == 200


def test_admin_creates_pipelines_with_ordered_unique_stages(as_user, world):
    admin = as_user("admin")
    stages = [{"name": "B", "position": 2}, {"name": "A", "position": 1, "probability": 30}]
    created = admin.post("pipelines", {"name": "Renewals", "is_default": True, "stages": stages})
    assert created.status_code == 201, created.content
    assert [s["name"] for s in created.json()["stages"]] == ["A", "B"]
    clash = [{"name": "A", "position": 1}, {"name": "B", "position": 1}]
    bad = admin.post("pipelines", {"name": "Clash", "stages": clash})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "stages"]
    assert not Pipeline.objects.filter(name="Clash").exists()
    pid = created.json()["id"]
    dup = admin.post(f"pipelines/{pid}/stages", {"name": "C", "position": 2})
    assert dup.status_code == 422 and dup.json()["detail"][0]["loc"] == ["body", "position"]
    c = admin.post(f"pipelines/{pid}/stages", {"name": "C", "position": 3, "outcome": "won"})
    assert c.status_code == 201, c.content
    moved = admin.patch(f"stages/{c.json()['id']}", {"position": 1})
    assert moved.status_code == 422
    assert admin.patch(f"pipelines/{pid}", {"name": "Renewals 2"}).json()["name"] == "Renewals 2"


@pytest.mark.parametrize("persona", ["rep1", "manager", "planner"])
def test_only_admins_change_pipelines_and_stages(as_user, sales, persona):
    client = as_user(persona)
    assert client.post("pipelines", {"name": "Mine"}).status_code == 403
    pid = sales["pipeline"].pk
    assert client.patch(f"pipelines/{pid}", {"name": "Mine"}).status_code == 403
    assert client.post(f"pipelines/{pid}/stages", {"name": "X", "position": 9}).status_code == 403
    assert client.patch(f"stages/{sales['stages']['New'].pk}", {"name": "X"}).status_code == 403


def test_totals_are_kept_per_currency_never_added_together(as_user, world, sales):
    """Regression: a 1,000,000 JPY deal raised a EUR total by 1,000,000."""
    st = sales["stages"]
    deal(sales["a1"], st["Offer"], 200)
    Deal.objects.create(account=sales["a1"], name="Tokyo", pipeline=sales["pipeline"],
                        stage=st["Offer"], amount=1_000_000, currency="JPY")  # fmt: skip
    board = as_user("rep1").get(f"pipelines/{sales['pipeline'].pk}/board").json()
    assert board["stages"][1]["totals"] == [
        {"currency": "EUR", "amount": "200.00", "weighted": "100.00"},
        {"currency": "JPY", "amount": "1000000.00", "weighted": "500000.00"},
    ]
    assert [t["currency"] for t in board["totals"]] == ["EUR", "JPY"]
    assert board["totals"][0]["amount"] == "200.00"


@pytest.mark.parametrize("code", ["ZZZ", "eur", "EURO", "XXX"])
def test_a_currency_that_is_not_iso_4217_is_refused(as_user, world, sales, code):
    body = {"account_id": str(sales["a1"].pk), "name": "X", "currency": code}
    response = as_user("rep1").post("deals", body)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == "currency"
    assert not Deal.objects.filter(name="X").exists()


def test_a_deal_takes_the_installations_currency_by_default(as_user, world, sales, settings):
    settings.FIELDCRM_CURRENCY = "VND"
    body = {"account_id": str(sales["a1"].pk), "name": "Saigon", "amount": "1000000"}
    assert as_user("rep1").post("deals", body).json()["currency"] == "VND"
