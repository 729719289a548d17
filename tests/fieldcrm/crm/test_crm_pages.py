"""The workspace's pages through the test client, for each role: the accounts list (scope,
filters, sort, keyset pages, columns, empty state) and an account's page (header, sections,
timeline, quick actions), with outside and missing records answering the same styled 404 and
bad input refused with a message naming the field, saving nothing."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from fieldcrm.accounts.models import Activity, Contact, CustomFieldDefinition, Tag
from fieldcrm.crm.models import ListColumns
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account


def client_for(world, persona):
    client = Client()
    client.force_login(getattr(world, persona))
    return client


def names(response) -> list[str]:
    """The account names of the list's table, in order."""
    html = response.content.decode()
    return re.findall(
        r'<th scope="row"><a href="/crm/accounts/[^"]+/" dir="auto">([^<]*)</a>', html
    )


@pytest.fixture
def shops(world):
    """Accounts in A (rep1), B (rep2) and the South (rep3), with tags, tiers and visits."""
    big, new = Tag.objects.create(name="big"), Tag.objects.create(name="new")
    long_ago = timezone.now() - dt.timedelta(days=90)
    a1 = make_account("Alpha bakery", lng=1.05, status="customer", tier="A",
                      visit_frequency_days=30, owner=world.rep1)  # fmt: skip
    a1.last_visited_at = long_ago
    a1.save()
    a1.tags.add(big, new)
    a2 = make_account("Beta kiosk", lng=1.06, status="prospect", tier="C")
    a2.tags.add(new)
    b1 = make_account("Gamma shop", lng=1.15, status="lead", owner=world.rep2)
    b1.tags.add(big)
    s1 = make_account("Delta south", lng=1.05, lat=41.05, status="customer")
    return {"a1": a1, "a2": a2, "b1": b1, "s1": s1}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("rep1", ["Alpha bakery", "Beta kiosk"]), ("rep2", ["Gamma shop"]),
     ("manager", ["Alpha bakery", "Beta kiosk", "Gamma shop"]),
     ("planner", ["Alpha bakery", "Beta kiosk", "Gamma shop"]),
     ("admin", ["Alpha bakery", "Beta kiosk", "Delta south", "Gamma shop"])],
)  # fmt: skip
def test_each_role_lists_exactly_the_accounts_of_its_scope(world, shops, persona, expected):
    response = client_for(world, persona).get("/crm/accounts/")
    assert response.status_code == 200
    assert names(response) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("status=customer", ["Alpha bakery"]),
     ("status=customer&status=prospect", ["Alpha bakery", "Beta kiosk"]),
     ("tier=C", ["Beta kiosk"]),
     ("tags=big&tags=new", ["Alpha bakery", "Beta kiosk", "Gamma shop"]),
     ("tags=big&tags=new&tags_mode=all", ["Alpha bakery"]),
     ("due=yes", ["Alpha bakery"]),
     ("due=no", ["Beta kiosk", "Gamma shop"]),
     ("q=kiosk", ["Beta kiosk"]),
     ("visited_before=2999-01-01", ["Alpha bakery"]),
     ("visited_from=2999-01-01", [])],
)  # fmt: skip
def test_the_manager_filters_the_list(world, shops, query, expected):
    response = client_for(world, "manager").get(f"/crm/accounts/?{query}")
    assert response.status_code == 200
    assert names(response) == expected


def test_owner_territory_and_region_filters_offer_only_the_callers_scope(world, shops):
    manager = client_for(world, "manager")
    assert names(manager.get(f"/crm/accounts/?owner={world.rep2.pk}")) == ["Gamma shop"]
    assert names(manager.get(f"/crm/accounts/?territory={world.territory_a.pk}")) == [
        "Alpha bakery", "Beta kiosk"]  # fmt: skip
    assert len(names(manager.get(f"/crm/accounts/?region={world.north.pk}"))) == 3
    # The South is not the manager's: the filter is refused (named) and not applied.
    outside = manager.get(f"/crm/accounts/?region={world.south.pk}")
    assert outside.status_code == 200 and "Delta south" not in outside.content.decode()
    assert "Some filters were not used" in outside.content.decode()
    assert "Region:" in outside.content.decode()


@pytest.mark.parametrize(
    "query",
    ["owner=99999999999999999999999999", "owner=-1", "visited_before=31-31-2026",
     "status=gossip", "sort=price", "after=%%%", "after=WzEsMl0", "region=abc",
     "visited_from=2026-05-02&visited_before=2026-05-01", "q=" + "x" * 200],
)  # fmt: skip
def test_bad_filters_are_named_and_never_a_server_error(world, shops, query):
    response = client_for(world, "manager").get(f"/crm/accounts/?{query}")
    assert response.status_code == 200
    if not query.startswith("after"):
        assert "Some filters were not used" in response.content.decode()


@pytest.mark.parametrize(("sort", "order"), [("owner", "asc"), ("last_visit", "desc")])
def test_the_page_shows_every_account_in_the_chosen_order(world, shops, sort, order):
    """The keyset pages themselves are tested in test_crm_services (every sort, ties, nulls)."""
    from fieldcrm.crm import selectors

    whole = selectors.account_table(
        actor=world.manager, filters=selectors.AccountTableFilters(), sort=sort,
        descending=order == "desc", limit=100,
    )  # fmt: skip
    first = client_for(world, "manager").get(f"/crm/accounts/?sort={sort}&order={order}")
    assert names(first) == [a.name for a in whole.rows] and len(whole.rows) == 3
    assert "crm-next" not in first.content.decode()


def test_the_next_page_link_keeps_the_filters(world, shops):
    for i in range(60):
        make_account(f"Bulk {i:02}", lng=1.07, status="customer")
    client = client_for(world, "manager")
    first = client.get("/crm/accounts/?status=customer")
    assert len(names(first)) == 50
    link = re.search(r'href="(\?[^"]+)" id="crm-next"', first.content.decode()).group(1)
    link = link.replace("&amp;", "&")
    assert "status=customer" in link
    second = client.get("/crm/accounts/" + link)
    assert len(names(second)) == 11  # 60 + Alpha bakery, 50 on the first page
    assert not set(names(first)) & set(names(second))


def test_columns_are_picked_and_remembered_per_user(world, shops):
    CustomFieldDefinition.objects.create(key="shelf_m", label="Shelf metres", kind="number")
    manager = client_for(world, "manager")
    picked = {"columns": ["tags", "cf:shelf_m", "email"], "next": "/crm/accounts/?status=lead"}
    saved = manager.post("/crm/accounts/columns", picked)
    assert saved.status_code == 302 and saved["Location"] == "/crm/accounts/?status=lead"
    assert ListColumns.objects.get(user=world.manager).columns == ["tags", "cf:shelf_m", "email"]
    html = manager.get("/crm/accounts/").content.decode()
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', head) == [
        "Name", "Tags", "Shelf metres", "Email"]  # fmt: skip
    # Someone else keeps the defaults.
    rep_head = re.search(r"<thead>(.*?)</thead>", client_for(world, "rep1").get(
        "/crm/accounts/").content.decode(), re.S).group(1)  # fmt: skip
    assert "Last visit" in rep_head and "Tags" not in rep_head
    refused = manager.post(
        "/crm/accounts/columns", {"columns": ["salary"], "next": "https://evil.example/"}
    )
    assert refused.status_code == 302 and refused["Location"] == "/crm/accounts/"
    assert ListColumns.objects.get(user=world.manager).columns == ["tags", "cf:shelf_m", "email"]
    assert "Columns:" in manager.get("/crm/accounts/").content.decode()


def test_an_empty_list_says_what_to_do(world):
    html = client_for(world, "rep1").get("/crm/accounts/").content.decode()
    assert 'id="crm-empty"' in html and "You have no accounts yet." in html
    filtered = client_for(world, "rep1").get("/crm/accounts/?status=lead").content.decode()
    assert "No account matches these filters." in filtered and "Clear the filters" in filtered


# ------------------------------------------------------------------------ the account's page


@pytest.fixture
def rich(world, shops):
    """Alpha bakery with a custom field of each type, a contact, a deal, a task, a planned
    and a done visit (checked in 42 m away), and history."""
    for key, kind in (("since", "date"), ("vip", "boolean"), ("shelf_m", "number")):
        CustomFieldDefinition.objects.create(key=key, label=key.title(), kind=kind)
    shop = shops["a1"]
    shop.custom_fields = {"since": "2024-03-01", "vip": True, "shelf_m": 12}
    shop.save()
    contact = Contact.objects.create(account=shop, name="Anna Baker", role="Owner")
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stage = Stage.objects.create(pipeline=pipeline, name="Proposal", position=1)
    deal = Deal.objects.create(account=shop, name="Ovens", pipeline=pipeline, stage=stage,
                               amount=1200, currency="EUR", owner=world.rep1)  # fmt: skip
    Task.objects.create(title="Send the catalogue", account=shop, assignee=world.rep1)
    Visit.objects.create(account=shop, rep=world.rep1, scheduled_on=dt.date(2030, 1, 2))
    done = Visit.objects.create(
        account=shop, rep=world.rep1, status="done", completed_at=timezone.now(),
        checked_in_at=timezone.now(), distance_m=42.4,
    )  # fmt: skip
    Activity.objects.create(account=shop, kind="visit", actor=world.rep1, visit=done,
                            occurred_at=timezone.now(), subject="Order taken")  # fmt: skip
    return {"shop": shop, "contact": contact, "deal": deal}


def test_the_account_page_shows_header_sections_and_timeline(world, rich):
    html = client_for(world, "manager").get(f"/crm/accounts/{rich['shop'].pk}/").content.decode()
    header = re.search(r'<dl class="crm-account-header".*?</dl>', html, re.S).group(0)
    for text in ("Customer", "A (key)", "rep1", "A (North)", "big", "new",
                 "Since", "(Date)", "Vip", "Yes", "(Yes/no)", "12", "(Number)"):  # fmt: skip
        assert text in header, text
    for text in ("Anna Baker", "Ovens", "Proposal", "1200.00 EUR", "Send the catalogue",
                 "checked in 42 m from the account", "Order taken"):  # fmt: skip
        assert text in html, text
    assert 'id="log-form"' in html and 'id="task-form"' in html


def test_the_timeline_is_filtered_by_kind(world, rich):
    shop = rich["shop"]
    Activity.objects.create(account=shop, kind="call", occurred_at=timezone.now(), subject="Rang")
    client = client_for(world, "manager")
    html = client.get(f"/crm/accounts/{shop.pk}/?kind=call").content.decode()
    timeline = re.search(r'<ol class="crm-timeline".*?</ol>', html, re.S).group(0)
    assert "Rang" in timeline and "Order taken" not in timeline
    assert client.get(f"/crm/accounts/{shop.pk}/?kind=bogus").status_code == 200


@pytest.mark.parametrize("persona", ["rep1", "rep2", "manager", "planner", "admin"])
def test_outside_and_missing_accounts_answer_the_same_styled_404(world, shops, persona):
    client = client_for(world, persona)
    outside = {"rep1": "b1", "rep2": "a1", "manager": "s1", "planner": "s1", "admin": None}
    missing = client.get(f"/crm/accounts/{uuid.UUID(int=7)}/")
    assert missing.status_code == 404 and 'class="error-page"' in missing.content.decode()
    for path in ("", "log", "tasks"):
        method = client.get if not path else client.post
        if outside[persona]:
            account = shops[outside[persona]]
            answer = method(f"/crm/accounts/{account.pk}/{path}")
            assert answer.status_code == 404, path
            assert account.name not in answer.content.decode()
        assert method(f"/crm/accounts/{uuid.UUID(int=7)}/{path}").status_code == 404
    assert client.get("/crm/accounts/not-a-uuid/").status_code == 404


def test_a_manager_logs_a_call_and_a_note_that_land_on_the_timeline(world, rich):
    shop = rich["shop"]
    client = client_for(world, "manager")
    url = f"/crm/accounts/{shop.pk}/"
    call = client.post(url + "log", {"kind": "call", "subject": "Asked about ovens",
                                     "occurred_at": "2026-03-04T10:30"})  # fmt: skip
    assert call.status_code == 302 and call["Location"] == url + "#timeline"
    note = client.post(url + "log", {"kind": "note", "body": "Prefers mornings"})
    assert note.status_code == 302
    logged = Activity.objects.filter(account=shop, actor=world.manager).order_by("occurred_at")
    assert [(a.kind, a.subject or a.body) for a in logged] == [
        ("call", "Asked about ovens"), ("note", "Prefers mornings")]  # fmt: skip
    assert logged[0].occurred_at == dt.datetime(2026, 3, 4, 10, 30, tzinfo=dt.UTC)
    page = client.get(url).content.decode()
    assert "Asked about ovens" in page and "Prefers mornings" in page
    assert "Logged on the timeline." in page


@pytest.mark.parametrize(
    ("data", "field"),
    [({"kind": "status_change", "subject": "x"}, "Kind"),
     ({"kind": "call"}, "Subject"),
     ({"kind": "call", "subject": "x" * 201}, "Subject"),
     ({"kind": "call", "subject": "x", "occurred_at": "yesterday"}, "When")],
)  # fmt: skip
def test_a_bad_log_is_refused_naming_the_field_and_saves_nothing(world, rich, data, field):
    before = Activity.objects.count()
    response = client_for(world, "manager").post(f"/crm/accounts/{rich['shop'].pk}/log", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved." in html and f"{field}:" in html
    assert Activity.objects.count() == before


def test_a_manager_creates_a_task_for_a_rep_on_a_deal(world, rich):
    shop, deal = rich["shop"], rich["deal"]
    client = client_for(world, "manager")
    url = f"/crm/accounts/{shop.pk}/"
    answer = client.post(url + "tasks", {
        "title": "Call about the ovens", "kind": "call", "assignee": world.rep1.pk,
        "about": f"deal:{deal.pk}", "due_at": "2026-06-01T09:00",
    })  # fmt: skip
    assert answer.status_code == 302 and answer["Location"] == url + "#tasks"
    task = Task.objects.get(title="Call about the ovens")
    assert (task.assignee, task.account, task.deal, task.created_by) == (
        world.rep1, shop, deal, world.manager)  # fmt: skip
    assert "Call about the ovens" in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("persona", "data", "field"),
    [("manager", {"title": "", "kind": "call"}, "Title"),
     ("manager", {"title": "T", "kind": "dance"}, "Kind"),
     ("manager", {"title": "T", "kind": "call", "about": "deal:99999999999999999999"}, "About"),
     ("manager", {"title": "T", "kind": "call", "assignee": "99999999999999999999999"}, "For"),
     ("rep1", {"title": "T", "kind": "call", "assignee": "REP2"}, "For")],
)  # fmt: skip
def test_a_bad_task_is_refused_naming_the_field_and_saves_nothing(
    world, rich, persona, data, field
):
    if data.get("assignee") == "REP2":
        data = {**data, "assignee": world.rep2.pk}  # a rep gives tasks to themselves only
    data.setdefault("assignee", world.rep1.pk)
    before = Task.objects.count()
    response = client_for(world, persona).post(f"/crm/accounts/{rich['shop'].pk}/tasks", data)
    assert response.status_code == 400
    assert f"{field}:" in response.content.decode()
    assert Task.objects.count() == before


def test_a_planner_reads_the_account_but_has_no_quick_actions(world, rich):
    client = client_for(world, "planner")
    url = f"/crm/accounts/{rich['shop'].pk}/"
    html = client.get(url).content.decode()
    assert "Anna Baker" in html and 'id="log-form"' not in html
    refused = client.post(url + "log", {"kind": "call", "subject": "x"})
    assert refused.status_code == 403
    assert client.post(url + "tasks", {"title": "x", "kind": "call"}).status_code == 403
    assert not Activity.objects.filter(actor=world.planner).exists()


def test_the_workspace_wants_a_login(world, shops):
    answer = Client().get("/crm/accounts/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")
