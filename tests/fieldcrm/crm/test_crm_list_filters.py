"""The accounts list's filters by open deal stage and by custom field (one per kind), the
same on both databases; bad values named at their field and left out; segments keep them
and the API's ``?segment=`` follows."""

from __future__ import annotations

import pytest

from fieldcrm.accounts.models import Account, CustomFieldDefinition
from fieldcrm.crm.models import Segment
from fieldcrm.deals.models import Deal, Pipeline, Stage
from tests.factories import make_account
from tests.fieldcrm.crm.test_crm_pages import client_for, names


@pytest.fixture
def fields(db):
    kinds = {
        "visits-per-week": ("Visits a week", "number", []),
        "contract-end": ("Contract end", "date", []),
        "has_fridge": ("Has a fridge", "boolean", []),
        "chain": ("Chain", "choice", ["Coop", "Spar", "Other"]),
        "note": ("Buyer note", "text", []),
    }
    for key, (label, kind, choices) in kinds.items():
        CustomFieldDefinition.objects.create(key=key, label=label, kind=kind, choices=choices)
    CustomFieldDefinition.objects.create(key="gone", label="Gone", kind="text", is_active=False)


@pytest.fixture
def shops(world, fields):
    def shop(name, lng, lat=42.05, **custom):
        account = make_account(name, lng=lng, lat=lat)
        Account.objects.filter(pk=account.pk).update(custom_fields=custom)
        return account

    return {
        "alpha": shop(
            "Alpha",
            1.05,
            **{
                "visits-per-week": 3,
                "contract-end": "2027-02-01",
                "has_fridge": True,
                "chain": "Coop",
                "note": "Ask for Ñuria",
            },
        ),  # fmt: skip
        "beta": shop(
            "Beta",
            1.06,
            **{
                "visits-per-week": 1.5,
                "contract-end": "2026-11-30",
                "has_fridge": False,
                "chain": "Spar",
            },
        ),  # fmt: skip
        "gamma": shop(
            "Gamma", 1.15, **{"visits-per-week": 10, "chain": "Other", "gone": "x"}
        ),  # fmt: skip
        "delta": shop("Delta", 1.07),
        "south": shop("South", 1.05, 41.05, **{"visits-per-week": 5}),  # not the manager's
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cf_visits-per-week__min=2", ["Alpha", "Gamma"]),
        ("cf_visits-per-week__max=3", ["Alpha", "Beta"]),
        ("cf_visits-per-week__min=1.5&cf_visits-per-week__max=1.5", ["Beta"]),
        ("cf_contract-end__from=2027-01-01", ["Alpha"]),
        ("cf_contract-end__to=2026-12-31", ["Beta"]),
        ("cf_has_fridge=yes", ["Alpha"]),
        ("cf_has_fridge=no", ["Beta"]),
        ("cf_chain=Coop&cf_chain=Other", ["Alpha", "Gamma"]),
        ("cf_note=ASK FOR", ["Alpha"]),  # case-blind for ASCII on both (SQLite LIKE)
        ("cf_chain=Spar&cf_visits-per-week__min=1", ["Beta"]),
    ],
)
def test_each_kind_of_custom_field_filters_the_list(world, shops, query, expected):
    assert names(client_for(world, "manager").get(f"/crm/accounts/?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [("cf_visits-per-week__min=abc", "Visits a week at least"),
     ("cf_visits-per-week__min=1e400", "Visits a week at least"),
     ("cf_contract-end__from=2027-02-30", "Contract end on or after"),
     ("cf_has_fridge=maybe", "Has a fridge"), ("cf_chain=Aldi", "Chain"),
     ("cf_note=" + "x" * 101, "Buyer note"), ("deal_stage=99999999999999999999", "Open deal"),
     ("deal_stage=abc", "Open deal in stage")],
)  # fmt: skip
def test_a_bad_filter_value_is_named_and_left_out(world, shops, query, field):
    response = client_for(world, "manager").get(f"/crm/accounts/?{query}")
    html = response.content.decode()
    assert response.status_code == 200 and "Some filters were not used:" in html
    assert f"{field}" in html
    assert names(response) == ["Alpha", "Beta", "Delta", "Gamma"]


def test_only_active_custom_fields_are_offered(world, shops):
    html = client_for(world, "manager").get("/crm/accounts/").content.decode()
    assert 'name="cf_chain"' in html and 'name="cf_visits-per-week__min"' in html
    assert 'name="cf_gone"' not in html
    assert names(client_for(world, "manager").get("/crm/accounts/?cf_gone=x")) == [
        "Alpha", "Beta", "Delta", "Gamma"]  # fmt: skip  # an unknown parameter narrows nothing


def test_an_open_deal_stage_filter_counts_only_deals_the_caller_may_see(world, shops):
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    offer = Stage.objects.create(pipeline=pipeline, name="Offer", position=0)
    won = Stage.objects.create(pipeline=pipeline, name="Won", position=1, outcome="won")
    for account, stage in ((shops["alpha"], offer), (shops["beta"], won), (shops["south"], offer)):
        Deal.objects.create(account=account, name="D", pipeline=pipeline, stage=stage)
    manager = client_for(world, "manager")
    html = manager.get("/crm/accounts/").content.decode()
    assert "Sales: Offer" in html and "Sales: Won" not in html  # open stages are offered
    assert names(manager.get(f"/crm/accounts/?deal_stage={offer.pk}")) == ["Alpha"]
    assert names(client_for(world, "admin").get(f"/crm/accounts/?deal_stage={offer.pk}")) == [
        "Alpha", "South"]  # fmt: skip
    rep2 = client_for(world, "rep2")
    assert names(rep2.get(f"/crm/accounts/?deal_stage={offer.pk}")) == []


def test_a_segment_keeps_custom_field_and_stage_filters_and_the_api_follows(world, shops, as_user):
    manager = client_for(world, "manager")
    query = "cf_visits-per-week__min=2&cf_chain=Coop&cf_chain=Other&sort=name"
    manager.post("/crm/segments/", {"name": "Big chains", "query": query,
                                    "next": "/crm/accounts/?" + query})  # fmt: skip
    segment = Segment.objects.get()
    assert segment.query == {"cf_visits-per-week__min": ["2"], "cf_chain": ["Coop", "Other"]}
    assert names(manager.get(f"/crm/accounts/?segment={segment.pk}")) == ["Alpha", "Gamma"]
    listed = as_user("manager").get(f"accounts?segment={segment.pk}").json()
    assert sorted(a["name"] for a in listed["items"]) == ["Alpha", "Gamma"]
