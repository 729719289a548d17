"""GET /api/v1/pipelines/{id}/board with the workspace board's filters (owner, region, close
month) and its forecast block: the same deals, counts, totals and forecast as the page's
selector (crm.selectors.deal_board) for the same filters; scope as everywhere; an owner or a
region outside the caller's scope is a 422 naming it, the same as a missing one (issue 16)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from fieldcrm.crm.selectors import BoardFilters, deal_board
from fieldcrm.deals.models import Deal
from tests.fieldcrm.deals.test_deals_api import deal, sales  # noqa: F401 - the fixture

HUGE = 2**64 + 1


def get(client, url, query=None):
    return client.get(f"{url}?{urlencode(query)}" if query else url)


@pytest.fixture
def deals(world, sales):  # noqa: F811
    st = sales["stages"]
    rows = [
        (sales["a1"], st["New"], 100, world.rep1, "2027-03-10", "EUR"),
        (sales["a1"], st["Offer"], 250, world.rep1, "2027-04-02", "EUR"),
        (sales["a1"], st["Offer"], 70, world.rep2, None, "EUR"),
        (sales["b1"], st["Offer"], 1000, world.rep2, "2027-03-31", "EUR"),
        (sales["b1"], st["New"], 500000, world.rep2, "2027-03-01", "JPY"),
        (sales["s1"], st["Offer"], 900, world.rep3, "2027-03-15", "EUR"),
    ]
    made = []
    for account, stage, amount, owner, close, currency in rows:
        d = deal(account, stage, amount, owner=owner)
        Deal.objects.filter(pk=d.pk).update(expected_close_on=close, currency=currency)
        made.append(d)
    won = deal(sales["a1"], st["Won"], 40, owner=world.rep1)
    Deal.objects.filter(pk=won.pk).update(closed_at=timezone.now() - dt.timedelta(days=3))
    return sales


def _page(actor, pipeline_id, filters):
    """The page's board for these filters, in the API's shape (no cards)."""
    board = deal_board(actor=actor, pipeline_id=pipeline_id, filters=filters)

    def row(r):
        return {"currency": r["currency"], "count": r["count"], "amount": str(r["amount"]),
                "weighted": str(r["weighted"]), "won": str(r["won"]),
                "won_count": r["won_count"]}  # fmt: skip

    forecast = board["forecast"]
    return {
        "stages": [
            (c["stage"].pk, c["count"], [{k: str(v) for k, v in t.items()} for t in c["totals"]])
            for c in board["columns"]
        ],  # fmt: skip
        "totals": [{k: str(v) for k, v in t.items()} for t in board["totals"]],
        "months": [
            {
                "month": m["month"].strftime("%Y-%m") if m["month"] else None,
                "rows": [row(r) for r in m["rows"]],
            }
            for m in forecast["months"]
        ],  # fmt: skip
        "forecast_totals": [row(r) for r in forecast["totals"]],
    }


def _api(body):
    return {
        "stages": [(s["id"], s["count"], s["totals"]) for s in body["stages"]],
        "totals": body["totals"],
        "months": body["forecast"]["months"],
        "forecast_totals": body["forecast"]["totals"],
    }


FILTERS = [
    ({}, {}),
    ({"owner_id": "rep1"}, {"owner": "rep1"}),
    ({"owner_id": "rep2"}, {"owner": "rep2"}),
    ({"region_id": "north"}, {"region": "north"}),
    ({"close_month": "2027-03"}, {"close_month": dt.date(2027, 3, 1)}),
    (
        {"close_month": "2027-03", "owner_id": "rep2"},
        {"close_month": dt.date(2027, 3, 1), "owner": "rep2"},
    ),  # fmt: skip
    ({"close_month": "2027-05"}, {"close_month": dt.date(2027, 5, 1)}),
]


def _resolve(world, values):
    return {k: (getattr(world, v).pk if isinstance(v, str) and hasattr(world, v) else v)
            for k, v in values.items()}  # fmt: skip


@pytest.mark.parametrize("persona", ["admin", "manager", "rep1"])
@pytest.mark.parametrize(("query", "page"), FILTERS, ids=lambda v: repr(v))
def test_the_filters_narrow_the_board_and_forecast_as_the_page_does(
    as_user, world, deals, persona, query, page
):
    if persona == "rep1" and "rep2" in query.values():
        pytest.skip("rep2 is not in rep1's scope (refused: see below)")
    pipeline = deals["pipeline"].pk
    response = get(as_user(persona), f"pipelines/{pipeline}/board", _resolve(world, query))
    assert response.status_code == 200, response.content
    expected = _page(getattr(world, persona), pipeline, BoardFilters(**_resolve(world, page)))
    assert _api(response.json()) == expected


def test_the_filters_change_what_is_counted(as_user, world, deals):
    manager = as_user("manager")
    url = f"pipelines/{deals['pipeline'].pk}/board"
    assert manager.get(url).json()["count"] == 6  # North: a1 and b1, the won deal included
    march = get(manager, url, {"close_month": "2027-03"}).json()
    assert march["count"] == 3
    assert march["forecast"]["months"] == [{"month": "2027-03", "rows": [
        {"currency": "EUR", "count": 2, "amount": "1100.00", "weighted": "510.00",
         "won": "0.00", "won_count": 0},
        {"currency": "JPY", "count": 1, "amount": "500000.00", "weighted": "50000.00",
         "won": "0.00", "won_count": 0},
    ]}]  # fmt: skip
    mine = get(manager, url, {"owner_id": world.rep1.pk}).json()
    assert mine["count"] == 3
    assert [m["month"] for m in mine["forecast"]["months"]][-2:] == ["2027-03", "2027-04"]
    assert mine["forecast"]["totals"] == [{"currency": "EUR", "count": 2, "amount": "350.00",
                                           "weighted": "135.00", "won": "40.00",
                                           "won_count": 1}]  # fmt: skip


def test_a_rep_sees_only_their_deals(as_user, world, deals):
    body = as_user("rep1").get(f"pipelines/{deals['pipeline'].pk}/board").json()
    assert body["count"] == 4  # a1's: rep3's South deal and b1's are not counted
    assert [t["currency"] for t in body["forecast"]["totals"]] == ["EUR"]
    assert body["forecast"]["totals"][0]["amount"] == "420.00"
    south = as_user("rep3").get(f"pipelines/{deals['pipeline'].pk}/board").json()
    assert south["count"] == 1 and south["forecast"]["totals"][0]["amount"] == "900.00"


OUTSIDE = [("manager", "owner_id", "rep3"), ("manager", "region_id", "south"),
           ("rep1", "owner_id", "rep2"), ("rep1", "region_id", "south")]  # fmt: skip


@pytest.mark.parametrize(("persona", "field", "outside"), OUTSIDE)
def test_an_owner_or_region_outside_the_scope_is_refused_like_a_missing_one(
    as_user, world, deals, persona, field, outside
):
    client = as_user(persona)
    url = f"pipelines/{deals['pipeline'].pk}/board"
    refused = get(client, url, {field: getattr(world, outside).pk})
    missing = get(client, url, {field: 987654321})
    assert refused.status_code == 422, refused.content
    assert refused.json()["detail"][0]["loc"] == ["query", field]
    assert (refused.status_code, refused.content) == (missing.status_code, missing.content)


@pytest.mark.parametrize(
    ("query", "field"),
    [({"close_month": "2027-13"}, "close_month"), ({"close_month": "abc"}, "close_month"),
     ({"close_month": "2027-03-01"}, "close_month"), ({"close_month": ""}, "close_month"),
     ({"owner_id": HUGE}, "owner_id"), ({"owner_id": -1}, "owner_id"),
     ({"owner_id": "x"}, "owner_id"), ({"region_id": 2**63}, "region_id"),
     ({"region_id": 0}, "region_id"), ({"stage": 1}, "stage")],
)  # fmt: skip
def test_bad_filters_are_a_422_naming_the_field(as_user, world, deals, query, field):
    response = get(as_user("admin"), f"pipelines/{deals['pipeline'].pk}/board", query)
    assert response.status_code == 422, response.content
    assert field in map(str, response.json()["detail"][0]["loc"]), response.content


def test_a_missing_pipeline_is_a_404_whatever_the_filters(as_user, world, deals):
    response = get(as_user("admin"), "pipelines/987654321/board", {"close_month": "2027-03"})
    assert response.status_code == 404
