"""Contact and deal pages (the account page's shape, each with its own timeline and quick
actions) and the tasks page (mine and my team's; overdue, today, upcoming; complete, snooze,
reassign), for each role within its scope."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from fieldcrm.accounts.models import Activity, Contact
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.deals.services import deal_move
from fieldcrm.tasks.models import Task
from tests.factories import make_account


def client_for(world, persona):
    client = Client()
    client.force_login(getattr(world, persona))
    return client


@pytest.fixture
def recs(world):
    shop = make_account("Alpha bakery", lng=1.05, status="customer")
    south = make_account("Delta south", lng=1.05, lat=41.05)
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    one = Stage.objects.create(pipeline=pipeline, name="Qualify", position=1, probability=20)
    two = Stage.objects.create(pipeline=pipeline, name="Proposal", position=2, probability=60)
    Stage.objects.create(pipeline=pipeline, name="Other", position=3)
    deal = Deal.objects.create(account=shop, name="Ovens", pipeline=pipeline, stage=one,
                               amount="1200.50", currency="SEK", owner=world.rep1,
                               expected_close_on=dt.date(2026, 9, 30))  # fmt: skip
    deal_move(actor=world.manager, deal_id=deal.pk, stage_id=two.pk)
    return {
        "shop": shop, "deal": deal,
        "contact": Contact.objects.create(account=shop, name="Anna Baker", role="Owner"),
        "far_contact": Contact.objects.create(account=south, name="Far Away"),
        "far_deal": Deal.objects.create(account=south, name="Far deal", pipeline=pipeline,
                                        stage=one),
    }  # fmt: skip


def test_the_deal_page_shows_stage_amount_close_probability_and_its_moves(world, recs):
    deal = recs["deal"]
    html = client_for(world, "manager").get(f"/crm/deals/{deal.pk}/").content.decode()
    header = re.search(r'<dl class="crm-account-header".*?</dl>', html, re.S).group(0)
    for text in ("Alpha bakery", "Sales", "Proposal", "(Open)", "1200.50 SEK", "60 %", "rep1"):
        assert text in header, text
    assert "Sept. 30, 2026" in header
    timeline = re.search(r'<ol class="crm-timeline".*?</ol>', html, re.S).group(0)
    assert "Deal move" in timeline and "moved from Qualify to Proposal" in timeline


def test_logging_on_a_contact_or_a_deal_lands_on_its_own_timeline(world, recs):
    client = client_for(world, "rep1")
    contact, deal = recs["contact"], recs["deal"]
    answer = client.post(
        f"/crm/contacts/{contact.pk}/log", {"kind": "call", "subject": "Rang Anna"}
    )
    assert answer.status_code == 302 and answer["Location"].endswith("#timeline")
    client.post(f"/crm/deals/{deal.pk}/log", {"kind": "note", "body": "Wants a discount"})
    call = Activity.objects.get(subject="Rang Anna")
    note = Activity.objects.get(body="Wants a discount")
    assert (call.contact, call.account, note.deal, note.account) == (
        contact, recs["shop"], deal, recs["shop"])  # fmt: skip
    assert "Rang Anna" in client.get(f"/crm/contacts/{contact.pk}/").content.decode()
    deal_page = client.get(f"/crm/deals/{deal.pk}/").content.decode()
    assert "Wants a discount" in deal_page and "Rang Anna" not in deal_page
    # The account's timeline shows both.
    account_page = client.get(f"/crm/accounts/{recs['shop'].pk}/").content.decode()
    assert "Rang Anna" in account_page and "Wants a discount" in account_page


def test_a_task_on_a_contact_and_on_a_deal_from_their_pages(world, recs):
    client = client_for(world, "manager")
    contact, deal = recs["contact"], recs["deal"]
    on_contact = client.post(f"/crm/contacts/{contact.pk}/tasks", {
        "title": "Call Anna back", "kind": "call", "assignee": world.rep1.pk,
        "about": f"contact:{contact.pk}"})  # fmt: skip
    assert on_contact.status_code == 302
    on_deal = client.post(f"/crm/deals/{deal.pk}/tasks", {
        "title": "Send the quote", "kind": "email", "assignee": world.rep1.pk,
        "about": f"deal:{deal.pk}"})  # fmt: skip
    assert on_deal.status_code == 302
    assert Task.objects.get(title="Call Anna back").contact == contact
    assert Task.objects.get(title="Send the quote").deal == deal
    assert "Send the quote" in client.get(f"/crm/deals/{deal.pk}/").content.decode()
    bad = client.post(f"/crm/deals/{deal.pk}/tasks", {"title": "", "kind": "call",
                                                     "assignee": world.rep1.pk})  # fmt: skip
    assert bad.status_code == 400 and "Title:" in bad.content.decode()


@pytest.mark.parametrize("persona", ["rep1", "rep2", "manager", "planner"])
def test_outside_and_missing_contacts_and_deals_are_the_same_404(world, recs, persona):
    client = client_for(world, persona)
    for url in (f"/crm/contacts/{recs['far_contact'].pk}/", f"/crm/contacts/{uuid.UUID(int=3)}/",
                f"/crm/deals/{recs['far_deal'].pk}/", "/crm/deals/987654321/",
                "/crm/deals/99999999999999999999999/"):  # fmt: skip
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "Far" not in answer.content.decode()
        assert client.post(url + "log", {"kind": "call", "subject": "x"}).status_code == 404
    assert not Activity.objects.filter(subject="x").exists()


def test_a_rep_of_another_territory_cannot_open_the_bakerys_deal(world, recs):
    assert client_for(world, "rep2").get(f"/crm/deals/{recs['deal'].pk}/").status_code == 404


# ------------------------------------------------------------------------------ the tasks page


@pytest.fixture
def day(world, recs):
    """Tasks of rep1 and of the manager around noon on 2026-05-04 (UTC, the region's zone)."""
    noon = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    with time_machine.travel(noon, tick=False):
        shop = recs["shop"]
        make = lambda title, who, hours, **kw: Task.objects.create(  # noqa: E731
            title=title,
            assignee=who,
            account=shop,
            created_by=world.manager,
            due_at=None if hours is None else noon + dt.timedelta(hours=hours),
            **kw,
        )
        tasks = {
            "late": make("Late call", world.rep1, -30),
            "earlier": make("This morning", world.rep1, -2),
            "later": make("This evening", world.rep1, 5),
            "next": make("Next week", world.rep1, 24 * 7),
            "undated": make("Some day", world.rep1, None),
            "done": make("Done already", world.rep1, -1, done_at=noon),
            "mine": make("Manager own", world.manager, 1),
            "far": Task.objects.create(title="Far task", assignee=world.rep3, due_at=noon),
        }
        yield tasks


def buckets(response) -> dict[str, list[str]]:
    html = response.content.decode()
    out = {}
    for key in ("overdue", "today", "upcoming", "undated"):
        section = re.search(rf'id="bucket-{key}".*?</section>', html, re.S).group(0)
        out[key] = re.findall(r'<td dir="auto">([^<]*?) <span class="muted">', section)
    return out


def test_my_tasks_and_my_teams_tasks_by_day(world, day):
    rep = client_for(world, "rep1").get("/crm/tasks/")
    assert buckets(rep) == {
        "overdue": ["Late call", "This morning"], "today": ["This evening"],
        "upcoming": ["Next week"], "undated": ["Some day"],
    }  # fmt: skip
    # A rep's scope holds only their own tasks: their team's list is empty, and says so.
    alone = client_for(world, "rep1").get("/crm/tasks/?who=team").content.decode()
    assert "Nobody in your team has an open task." in alone
    team = client_for(world, "manager").get("/crm/tasks/?who=team")
    assert buckets(team)["overdue"] == ["Late call", "This morning"]
    assert "Far task" not in team.content.decode() and "Manager own" not in team.content.decode()
    assert buckets(client_for(world, "manager").get("/crm/tasks/"))["today"] == ["Manager own"]


def test_an_empty_task_list_says_what_to_do(world):
    html = client_for(world, "rep2").get("/crm/tasks/").content.decode()
    assert 'id="crm-empty"' in html and "Add a task from an account" in html


def test_complete_snooze_and_reassign(world, day):
    manager = client_for(world, "manager")
    late = day["late"]
    done = manager.post(f"/crm/tasks/{late.pk}/complete", {"next": "/crm/tasks/?who=team"})
    assert done.status_code == 302 and done["Location"] == "/crm/tasks/?who=team"
    late.refresh_from_db()
    assert late.done_at is not None
    later = day["later"]
    future = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    assert manager.post(f"/crm/tasks/{later.pk}/snooze", {"until": future}).status_code == 302
    later.refresh_from_db()
    assert later.due_at.strftime("%Y-%m-%dT%H:%M") == future
    moved = manager.post(f"/crm/tasks/{later.pk}/reassign", {"assignee": world.rep2.pk})
    assert moved.status_code == 302
    later.refresh_from_db()
    assert later.assignee == world.rep2


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [("snooze", {"until": "2001-01-01T10:00"}, "Snooze until"),
     ("snooze", {"until": "soon"}, "Snooze until"),
     ("reassign", {"assignee": "99999999999999999999999"}, "For")],
)  # fmt: skip
def test_a_bad_snooze_or_reassign_is_named_and_changes_nothing(world, day, action, data, field):
    task = day["undated"]
    client = client_for(world, "manager")
    answer = client.post(f"/crm/tasks/{task.pk}/{action}", data)
    assert answer.status_code == 302
    page = client.get(answer["Location"]).content.decode()
    assert f"{field}:" in page
    task.refresh_from_db()
    assert (task.due_at, task.assignee, task.version) == (None, world.rep1, 1)


def test_a_rep_may_not_give_their_task_away_nor_touch_others(world, day):
    rep = client_for(world, "rep1")
    mine = day["next"]
    answer = rep.post(f"/crm/tasks/{mine.pk}/reassign", {"assignee": world.rep2.pk})
    assert "For:" in rep.get(answer["Location"]).content.decode()
    mine.refresh_from_db()
    assert mine.assignee == world.rep1
    for action in ("complete", "snooze", "reassign"):
        for task_id in (day["far"].pk, day["mine"].pk, uuid.UUID(int=5)):
            assert rep.post(f"/crm/tasks/{task_id}/{action}").status_code == 404


def test_an_account_without_a_location_opens_with_its_duplicates_checked(world):
    """A lead from a web form or an e-mail may have no location yet: its page still opens, and
    the duplicate check uses what it has (the name alone is only checked near a point)."""
    Account = Contact._meta.get_field("account").related_model
    lost = Account.objects.create(name="No Place Yet", status="lead", email="a@b.example")
    twin = make_account("Twin", territory=world.territory_a)
    Account.objects.filter(pk=twin.pk).update(email="a@b.example", email_key="a@b.example")
    client = Client()
    client.force_login(world.admin)
    response = client.get(f"/crm/accounts/{lost.pk}/")
    assert response.status_code == 200
    assert "Twin" in response.content.decode()
