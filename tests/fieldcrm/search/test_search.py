"""Search: accents and case forgiven, one typo forgiven, scoped by the access rule, the same
on both databases (the index's backends differ: pg_trgm and FTS5)."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.utils import timezone

from fieldcrm.accounts.models import Contact
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.search.models import SearchEntry
from fieldcrm.search.selectors import search
from fieldcrm.search.text import fold, similarity
from tests.factories import make_account


def _titles(hits):
    return [(h.kind, h.title) for h in hits]


def test_folding_drops_vietnamese_marks_and_case():
    assert fold("  Nguyễn  Thị ĐÀO ") == "nguyen thi dao"
    assert similarity("nguyn", "cua hang nguyen") >= 0.5
    assert similarity("zzz", "cua hang nguyen") == 0


def test_a_customer_is_found_without_diacritics_and_with_a_typo(world):
    make_account("Cửa hàng Nguyễn Văn An", status="customer", phone="0912 345 678")
    make_account("Tiệm Trần Thị Bích", status="customer")
    for q in ("nguyen", "NGUYỄN", "nguyn van", "0912345678", "cua hang"):
        assert _titles(search(actor=world.manager, q=q)) == [
            ("account", "Cửa hàng Nguyễn Văn An")
        ], q
    assert search(actor=world.manager, q="xyzzy") == []


def test_contacts_and_deals_are_found_and_follow_renames(world):
    shop = make_account("Shop North")
    Contact.objects.create(account=shop, name="Đặng Thu Hà", email="ha@example.com")
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stage = Stage.objects.create(pipeline=pipeline, name="Open", position=0)
    Deal.objects.create(account=shop, name="Dang coffee machines", pipeline=pipeline, stage=stage)
    hits = search(actor=world.manager, q="dang")
    assert {(h.kind, h.title, h.detail) for h in hits} == {
        ("contact", "Đặng Thu Hà", "Shop North"),
        ("deal", "Dang coffee machines", "Shop North"),
    }
    shop.name = "Shop Renamed"
    shop.save()
    assert {h.detail for h in search(actor=world.manager, q="dang")} == {"Shop Renamed"}
    assert _titles(search(actor=world.manager, q="ha@example")) == [("contact", "Đặng Thu Hà")]


def test_a_rep_does_not_find_another_reps_account(world):
    make_account("Nguyễn North", lng=1.05, lat=42.05)  # territory A: rep1
    make_account("Nguyễn East", lng=1.15, lat=42.05)  # territory B: rep2
    make_account("Nguyễn South", lng=1.05, lat=41.05)  # region South
    assert _titles(search(actor=world.rep1, q="nguyen")) == [("account", "Nguyễn North")]
    assert _titles(search(actor=world.rep2, q="nguyen")) == [("account", "Nguyễn East")]
    assert {h.title for h in search(actor=world.manager, q="nguyen")} == {
        "Nguyễn North", "Nguyễn East",
    }  # fmt: skip
    assert len(search(actor=world.admin, q="nguyen")) == 3


def test_a_soft_deleted_account_is_not_found_and_rebuild_matches_the_signals(world):
    gone = make_account("Nguyễn Gone")
    make_account("Nguyễn Kept")
    before = set(SearchEntry.objects.values_list("kind", "record_id", "text"))
    out = io.StringIO()
    call_command("search_rebuild", stdout=out)
    assert out.getvalue() == f"{len(before)} records indexed.\n"
    assert set(SearchEntry.objects.values_list("kind", "record_id", "text")) == before
    gone.deleted_at = timezone.now()
    gone.save()
    assert _titles(search(actor=world.manager, q="nguyen")) == [("account", "Nguyễn Kept")]


def test_the_api_answers_hits_with_their_page_and_names_a_bad_field(world, as_user):
    shop = make_account("Nguyễn North")
    response = as_user("rep1").get("search?q=nguyen")
    assert response.status_code == 200
    assert response.json()["items"] == [{
        "kind": "account", "id": str(shop.pk), "title": "Nguyễn North", "detail": "",
        "score": 1.0, "url": f"/crm/accounts/{shop.pk}/",
    }]  # fmt: skip
    refused = as_user("rep1").get("search?q=nguyen&limit=0")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "limit"
    assert as_user(None).get("search?q=nguyen").status_code == 401
