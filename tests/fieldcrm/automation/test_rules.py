"""Automation rules on the outbox of domain events: once per event, logged, bounded."""

import datetime as dt

import pytest

from fieldcrm.automation.engine import MAX_DEPTH, event_process, events_process
from fieldcrm.automation.models import Event, Rule, RuleRun
from fieldcrm.automation.services import rule_create, rule_from_preset
from fieldcrm.deals.models import Pipeline, Stage
from fieldcrm.deals.services import deal_create, deal_move
from fieldcrm.notifications import clock
from fieldcrm.notifications.models import Notification
from fieldcrm.tasks.models import Task
from tests.factories import make_account

T0 = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sales(world):
    Pipeline.objects.update(is_default=False)
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stages = {
        name: Stage.objects.create(pipeline=pipeline, name=name, position=i)
        for i, name in enumerate(["New", "Proposal", "Negotiation"])
    }
    account = make_account("Alpha", lng=1.02, lat=42.02)
    deal = deal_create(actor=world.rep1, data={"account_id": account.pk, "name": "Espresso"})
    return {"stages": stages, "account": account, "deal": deal}


def move(world, deal, stage):
    deal_move(actor=world.manager, deal_id=deal.pk, stage_id=stage.pk)


def test_deal_entering_proposal_makes_one_task_per_entry_and_none_when_redelivered(world, sales):
    rule = rule_from_preset(actor=world.admin, key="offer_follow_up")
    deal, stages = sales["deal"], sales["stages"]
    with clock.frozen(T0):
        move(world, deal, stages["Proposal"])
        move(world, deal, stages["Negotiation"])
        move(world, deal, stages["Proposal"])  # in → out → in
        outcome = events_process()
    tasks = Task.objects.filter(deal=deal)
    assert tasks.count() == 2
    assert {t.assignee for t in tasks} == {world.rep1}  # the deal's owner
    assert {t.due_at for t in tasks} == {T0 + dt.timedelta(days=2)}
    assert tasks.first().title == "Call about the offer: Espresso"
    assert outcome["rule_done"] == 2 and outcome["rule_skipped"] == 1  # Negotiation
    # The same event again (a redelivery, a second worker): no new task, no new run.
    entered = Event.objects.filter(kind="deal.stage_entered", data__stage="Proposal").first()
    assert event_process(entered) == {"rule_duplicate": 1}
    Event.objects.update(processed_at=None, claimed_until=None)
    events_process()
    assert Task.objects.filter(deal=deal).count() == 2
    runs = RuleRun.objects.filter(rule=rule)
    assert runs.count() == 3
    done = runs.filter(status="done").first()
    assert done.log == ["Task “Call about the offer: Espresso” for rep1, due 2026-03-05"]


def test_an_event_rolled_back_with_its_change_never_runs_a_rule(world, sales):
    rule_from_preset(actor=world.admin, key="offer_follow_up")
    with pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            move(world, sales["deal"], sales["stages"]["Proposal"])
            raise RuntimeError("the request failed after the move")
    assert not Event.objects.filter(kind="deal.stage_entered").exists()
    events_process()
    assert not Task.objects.filter(deal=sales["deal"]).exists()


def test_a_failing_action_undoes_the_run_and_logs_why(world, sales):
    rule_create(actor=world.admin, data={
        "name": "Tag and task", "trigger": "deal.stage_entered",
        "actions": [{"type": "add_tag", "tag": "offer"},
                    {"type": "create_task", "title": "Call", "assignee": 999999}],
    })  # fmt: skip
    move(world, sales["deal"], sales["stages"]["Proposal"])
    assert events_process()["rule_failed"] == 1
    (run,) = RuleRun.objects.all()
    assert run.status == "failed" and run.log == ["assignee: No such active user."]
    assert not sales["account"].tags.exists()  # the first action was rolled back too


def test_rules_that_trigger_each_other_stop_at_the_bound_with_a_clear_log_line(world, sales):
    account = sales["account"]
    reps = (world.rep1, world.rep2)
    for name, when, then in (("Flip", *reps), ("Flop", *reversed(reps))):
        rule_create(actor=world.admin, data={
            "name": name, "trigger": "account.changed",
            "conditions": [{"field": "owner_id", "op": "becomes", "value": when.pk}],
            "actions": [{"type": "assign_owner", "to": then.pk}],
        })  # fmt: skip
    from fieldcrm.accounts.services import account_update

    account_update(account=account, fields={"owner": world.rep1}, actor=world.manager)
    for _ in range(MAX_DEPTH + 2):
        events_process()
    runs = RuleRun.objects.order_by("at", "id")
    assert [r.status for r in runs if r.status != "skipped"] == ["done"] * MAX_DEPTH + ["loop"]
    loop = runs.get(status="loop")
    assert "rules are triggering each other" in loop.log[0]
    assert Event.objects.filter(processed_at__isnull=True).count() == 0


def test_web_lead_preset_assigns_the_territory_reps_in_turn_and_notifies_them(world):
    from django.contrib.gis.geos import Point

    from fieldcrm.leads.models import WebForm
    from fieldcrm.leads.schemas import LeadIn
    from fieldcrm.leads.services import _lead_store

    world.territory_a.reps.add(world.rep2)
    rule_from_preset(actor=world.admin, key="web_lead_to_rep")
    form = WebForm.objects.create(name="Site", region=world.north)
    for name in ("Lead one", "Lead two"):
        _lead_store(form=form, lead=LeadIn(name=name, email="x@example.com"),
                    location=Point(1.02, 42.02, srid=4326), quality="",  # located, not geocoded
                    notes=[], origin=None)  # fmt: skip
    events_process()
    owners = {a.name: a.owner for a in world.territory_a.accounts.all()}
    assert owners == {"Lead one": world.rep1, "Lead two": world.rep2}
    told = Notification.objects.filter(kind="automation").order_by("recipient_id")
    assert [(n.recipient, n.params["title"]) for n in told] == [
        (world.rep1, "New web lead: Lead one"),
        (world.rep2, "New web lead: Lead two"),
    ]


def test_only_admins_write_rules_and_read_their_runs(as_user, world, sales):
    body = {"name": "X", "trigger": "deal.created",
            "actions": [{"type": "create_task", "title": "Call", "due_in_days": 1}]}  # fmt: skip
    assert as_user("manager").post("automation/rules", body).status_code == 403
    created = as_user("admin").post("automation/rules", body)
    assert created.status_code == 201, created.content
    assert as_user("manager").get("automation/rules").json()["count"] == 0
    assert as_user("manager").get("automation/runs").json()["count"] == 0
    bad = as_user("admin").post("automation/rules", {**body, "trigger": "deal.exploded"})
    assert bad.status_code == 422 and "trigger" in bad.content.decode()
    bad = as_user("admin").post(
        "automation/rules", {**body, "actions": [{"type": "call_webhook", "webhook_id": 12345}]}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "actions"]
    assert Rule.objects.count() == 1  # nothing half-saved
    templates = as_user("admin").get("automation/templates").json()
    assert {t["key"] for t in templates} >= {"offer_follow_up", "web_lead_to_rep"}
    made = as_user("admin").post("automation/rules/from-template", {"template": "offer_follow_up"})
    assert made.status_code == 201 and made.json()["trigger"] == "deal.stage_entered"


def test_a_visit_logged_with_an_order_gives_its_rep_a_call_in_a_week(world, sales):
    from fieldcrm.visits.models import Visit
    from fieldcrm.visits.services import visit_log

    rule_from_preset(actor=world.admin, key="order_thank_you")
    account = sales["account"]
    with clock.frozen(T0):
        for outcome in ("order", "no_interest"):
            visit = Visit.objects.create(account=account, rep=world.rep1, scheduled_on=T0.date())
            visit_log(actor=world.rep1, visit_id=visit.pk, data={"outcome": outcome})
        events_process()
    (task,) = Task.objects.filter(title__startswith="Follow up on the order")
    assert (task.assignee, task.account, task.due_at) == (
        world.rep1,
        account,
        T0 + dt.timedelta(days=7),
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_events_run_each_rule_once(world, sales):
    # Real concurrent connections on PostGIS: the event's claim keeps two workers apart, and
    # when both process one event anyway (a lease expired mid-run), the run's unique key does.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (SQLite's test database is one shared memory DB)")
    import threading

    rule_from_preset(actor=world.admin, key="offer_follow_up")
    stages = sales["stages"]
    data = {"account_id": sales["account"].pk, "name": "Deal"}
    deals = [deal_create(actor=world.rep1, data=dict(data)) for _ in range(10)]
    for deal in deals:
        move(world, deal, stages["Proposal"])
    same = Event.objects.filter(kind="deal.stage_entered").first()
    start = threading.Barrier(2)

    def worker(job):
        try:
            start.wait()
            job()
        finally:
            connection.close()

    for job in (events_process, lambda: event_process(same)):
        threads = [threading.Thread(target=worker, args=(job,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert Task.objects.filter(deal__in=deals).count() == 10
    assert RuleRun.objects.filter(status="done").count() == 10
