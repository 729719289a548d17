"""Every endpoint × every role × records inside and outside the caller's scope.

Generated from the OpenAPI schema, so a new endpoint cannot slip past: a path parameter this
file does not know fails the sweep. The property checked for a record outside the caller's
scope is the strongest one — its answer is byte-for-byte the answer for a record that does
not exist — and no list, GeoJSON, export or report ever mentions an outside record.
"""

import datetime as dt
import json
import re
import uuid

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from fieldcrm.accounts.models import Activity, Contact, CustomFieldDefinition
from fieldcrm.api import api
from fieldcrm.attachments.models import Attachment, PhotoUpload
from fieldcrm.automation.models import Event, Rule, Webhook, WebhookDelivery
from fieldcrm.crm.models import Segment
from fieldcrm.deals.models import Deal, LostReason, Pipeline, Stage
from fieldcrm.emails.models import Email, Suppression
from fieldcrm.integrations.models import Call, Integration
from fieldcrm.leads.models import WebForm
from fieldcrm.notifications.models import Delivery, Notification
from fieldcrm.orders.models import Order, PriceList, Product
from fieldcrm.plans.models import PlanJob, RoutePlan, RouteStop
from fieldcrm.tasks.models import Task
from fieldcrm.users.services import token_create
from fieldcrm.visits.models import Visit
from tests.factories import make_account

MARKER = "ZZOUT"  # in every name outside the North region, so a leak is easy to spot
ROLES = ("rep1", "manager", "planner", "admin")
PUBLIC = {"get_csrf", "login_session", "submit_lead_form", "preflight_lead_form",
          "receive_call_event", "receive_message"}  # fmt: skip
# Configuration every role reads: no inside/outside.
SHARED = {"pipeline_id", "stage_id", "field_id", "product_id", "price_list_id", "reason_id",
          # The e-mail suppression list is the installation's (consent is not a region's).
          "suppression_id"}  # fmt: skip
# Personal records: outside means someone else's, even for an admin.
PERSONAL = {"token_id", "notification_id", "photo_id"}  # a photo upload: its uploader's


def _operations():
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation["operationId"]


OPERATIONS = sorted(_operations())


@pytest.fixture
def records(world, settings, tmp_path):
    """One record of each kind inside North (rep1's territory A) and one outside (South)."""
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stage = Stage.objects.create(pipeline=pipeline, name="Open", position=0)
    field = CustomFieldDefinition.objects.create(key="segment", label="Segment")
    reason = LostReason.objects.create(name="Price")
    product = Product.objects.create(sku="SKU-1", name="Tea")
    price_list = PriceList.objects.create(name="Retail", currency="EUR")
    price_list.items.create(product=product, unit_price=1)
    settings.MEDIA_ROOT = tmp_path
    world.rep3.first_name = MARKER
    world.rep3.save()
    world.south.name = f"South {MARKER}"
    world.south.save()
    world.territory_s.name = f"S {MARKER}"
    world.territory_s.save()
    ids = {}
    for side, rep, lng, lat, tag in (
        ("in", world.rep1, 1.05, 42.05, "North"),
        ("out", world.rep3, 1.05, 41.05, MARKER),
    ):
        account = make_account(f"Shop {tag}", lng=lng, lat=lat, status="customer")
        contact = Contact.objects.create(account=account, name=f"Anna {tag}")
        Activity.objects.create(
            account=account, kind="note", occurred_at=timezone.now(), subject=f"Note {tag}"
        )
        visit = Visit.objects.create(
            account=account, rep=rep, scheduled_on=dt.date.today(), notes=f"Visit {tag}"
        )
        task = Task.objects.create(title=f"Call {tag}", account=account, assignee=rep)
        deal = Deal.objects.create(
            account=account, name=f"Deal {tag}", pipeline=pipeline, stage=stage, owner=rep
        )
        token, _ = token_create(user=rep, name=f"token {tag}")
        notification = Notification.objects.create(
            recipient=rep, kind="task_due", params={"title": f"Call {tag}"},
            record_type="task", record_id=task.pk,
        )  # fmt: skip
        region = world.north if side == "in" else world.south
        now = timezone.now()
        plan = RoutePlan.objects.create(
            rep=rep, region=region, date=dt.date.today(), status="published",
            stats={"note": f"Plan {tag}"},
        )  # fmt: skip
        stop = RouteStop.objects.create(
            plan=plan, sequence=1, account=account, visit=visit,
            arrival_at=now, start_at=now, departure_at=now,
        )  # fmt: skip
        job = PlanJob.objects.create(region=region, date=dt.date.today(), status="done",
                                     message=f"Job {tag}")  # fmt: skip
        # Automation (admins' alone): a rule, a webhook and one logged delivery of it.
        rule = Rule.objects.create(
            name=f"Rule {tag}", trigger="deal.created",
            actions=[{"type": "notify", "message": f"Hi {tag}"}],
        )  # fmt: skip
        webhook = Webhook.objects.create(
            url=f"https://{tag.lower()}.example/hook", event_types=["deal.created"], secret="s"
        )
        event = Event.objects.create(
            kind="deal.created", record_type="deal", record_id=str(deal.pk),
            data={"name": f"Deal {tag}"},
        )  # fmt: skip
        sent = Delivery.objects.create(channel="webhook", key=f"wh.{webhook.pk}.{event.pk}")
        delivery = WebhookDelivery.objects.create(webhook=webhook, event=event, delivery=sent)
        # A segment: inside, shared by the North manager; outside, rep3's private one.
        segment = Segment.objects.create(
            owner=world.manager if side == "in" else rep, name=f"Segment {tag}",
            query={"q": [tag]}, is_shared=side == "in",
        )  # fmt: skip
        order = Order.objects.create(
            kind="quote", number=f"Q-{tag}", account=account, currency="EUR",
            issued_on=dt.date.today(), notes=f"Order {tag}",
        )  # fmt: skip
        order.lines.create(position=1, product=product, description=f"Tea {tag}", unit="pc",
                           quantity=1, unit_price=1)  # fmt: skip
        attachment = Attachment(record_type="account", account=account, name=f"File {tag}.txt",
                                content_type="text/plain", size=4)  # fmt: skip
        attachment.file.save(f"attachments/{tag}.txt", ContentFile(b"text"))
        email = Email.objects.create(
            direction="out", status="sent", account=account, contact=contact,
            message_id=f"<{side}@sweep>", from_address="", to_address=f"{side}@example.com",
            subject=f"Mail {tag}",
        )  # fmt: skip
        suppression = Suppression.objects.create(address=f"{side}@example.com", reason="manual")
        web_form = WebForm.objects.create(name=f"Form {tag}", region=region)
        # Integrations (admins' alone) and a call on the account (seen where the account is).
        integration = Integration.objects.create(kind="pbx", name=f"PBX {tag}")
        call = Call.objects.create(
            integration=integration, call_id=f"call-{side}", direction="in", caller="+1 555",
            callee="200", number=f"+1 555 {tag}", account=account, state="ended",
            started_at=now,
        )  # fmt: skip
        photo = PhotoUpload.objects.create(visit=visit, uploaded_by=rep, kind="shelf", size=10,
                                           sha256="0" * 64, content_type="image/jpeg")  # fmt: skip
        ids[side] = {
            "photo_id": photo.pk,
            "attachment_id": attachment.pk, "email_id": email.pk,
            "suppression_id": suppression.pk, "form_id": web_form.pk,
            "account_id": account.pk, "contact_id": contact.pk, "visit_id": visit.pk,
            "task_id": task.pk, "deal_id": deal.pk, "token_id": token.pk, "user_id": rep.pk,
            "notification_id": notification.pk,
            "territory_id": (world.territory_a if side == "in" else world.territory_s).pk,
            "region_id": region.pk, "plan_id": plan.pk, "stop_id": stop.pk, "job_id": job.pk,
            "pipeline_id": pipeline.pk, "stage_id": stage.pk, "field_id": field.pk,
            "reason_id": reason.pk,
            "rule_id": rule.pk, "webhook_id": webhook.pk, "delivery_id": delivery.pk,
            "segment_id": segment.pk,
            "other_id": account.pk,  # the merge page's second account (itself: refused)
            "order_id": order.pk, "product_id": product.pk, "price_list_id": price_list.pk,
            "integration_id": integration.pk, "call_id": call.pk,
        }  # fmt: skip
    ids["missing"] = {
        name: (uuid.UUID(int=1) if isinstance(value, uuid.UUID) else 987654321)
        for name, value in ids["in"].items()
    }
    return ids


def _client(world, role):
    client = Client()
    client.force_login(getattr(world, role))
    return client


def _call(client, method, path, params):
    url = re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), path)
    if method in ("get", "options"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, data="{}", content_type="application/json")


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _param_names(path):
    return re.findall(r"\{(\w+)\}", path)


@pytest.mark.parametrize(("path", "method", "operation_id"), OPERATIONS, ids=lambda v: str(v))
def test_every_endpoint_hides_outside_records_from_every_role(
    world, records, path, method, operation_id
):
    if operation_id in PUBLIC:
        pytest.skip("public endpoint (its own secret or none)")
    names = _param_names(path)
    unknown = set(names) - set(records["in"])
    assert not unknown, f"the sweep has no records for {unknown}: add them to `records`"
    for role in ROLES:
        client = _client(world, role)
        if method == "get":
            inside = _call(client, method, path, records["in"])
            assert inside.status_code < 500, (role, path, inside.content)
            if inside.status_code == 200 and role != "admin":
                assert MARKER not in _body(inside).decode(errors="replace"), (role, path)
        outside_names = [n for n in names if n not in SHARED]
        if not outside_names:
            continue
        sees_outside = role == "admin" and not set(outside_names) & PERSONAL
        if sees_outside:
            continue
        outside = _call(client, method, path, {**records["in"], **records["out"]})
        missing = _call(client, method, path, {**records["in"], **records["missing"]})
        assert outside.status_code < 500, (role, method, path, outside.content)
        seen = (outside.status_code, _body(outside))
        assert seen == (missing.status_code, _body(missing)), (role, method, path, seen)


@pytest.mark.parametrize(("path", "method", "operation_id"), OPERATIONS, ids=lambda v: str(v))
def test_every_private_endpoint_wants_a_login(records, path, method, operation_id):
    if operation_id in PUBLIC:
        pytest.skip("public endpoint")
    response = _call(Client(), method, path, {**records["in"]})
    assert response.status_code == 401, (method, path, response.status_code)
    assert response.json()["detail"]


# Endpoints that take record ids in the body rather than the path: the same property, with
# the ids where the operation reads them. The sweep above also calls them (with an empty body).
BODY_IDS = {
    "preview_bulk_change": lambda ids: {"field": "tier", "value": "A", "account_ids": [ids]},
    "apply_bulk_change": lambda ids: {"field": "tier", "value": "A", "account_ids": [ids]},
    "order_my_day": lambda ids: {"account_ids": [ids]},
}


@pytest.mark.parametrize("operation_id", sorted(BODY_IDS))
def test_body_ids_outside_the_scope_answer_like_missing_ones(world, records, operation_id):
    [(path, method)] = [(p, m) for p, m, o in OPERATIONS if o == operation_id]
    make = BODY_IDS[operation_id]
    for role in ROLES:
        client = _client(world, role)

        def send(account_id, client=client):
            body = json.dumps(make(str(account_id)))
            return getattr(client, method)(path, data=body, content_type="application/json")

        missing = send(records["missing"]["account_id"])
        outside = send(records["out"]["account_id"])
        assert outside.status_code < 500 and missing.status_code < 500, (role, operation_id)
        if role != "admin":
            assert (outside.status_code, outside.content) == (
                missing.status_code,
                missing.content,
            ), (role, operation_id)
        inside = send(records["in"]["account_id"])
        assert inside.status_code < 500, (role, operation_id, inside.content)
        assert MARKER not in inside.content.decode(), (role, operation_id)


@pytest.mark.parametrize("role", ROLES)
def test_the_calendar_feed_holds_the_callers_own_items_only(world, records, role):
    # Feeds are personal, an admin's included: no one else's task or visit is in one.
    Task.objects.update(due_at=timezone.now() + dt.timedelta(hours=5))
    url = _client(world, role).post("/api/v1/calendar-feed").json()["url"]
    body = Client().get("/calendar/" + url.rsplit("/calendar/", 1)[1]).content.decode()
    assert "BEGIN:VCALENDAR" in body and MARKER not in body
    assert ("Call North" in body) == (role == "rep1")


@pytest.mark.parametrize("role", ROLES)
def test_a_balance_proposal_token_applied_outside_the_scope_answers_like_missing(
    world, records, role
):
    # A genuine token (North's, the admin's) sent against South and against no region: the
    # same answer for everyone but the admin, and nothing moves.
    from fieldcrm.accounts.models import Account
    from fieldcrm.territories.balancing import balance_propose, proposal_token

    make_account("Shop B", lng=1.15, lat=42.05, status="customer")
    token = proposal_token(balance_propose(actor=world.admin, region_id=world.north.pk))
    client = _client(world, role)
    before = dict(Account.objects.values_list("pk", "territory_id"))

    def send(region_id):
        return client.post(f"/api/v1/regions/{region_id}/balance/apply",
                           data=json.dumps({"proposal_token": token}),
                           content_type="application/json")  # fmt: skip

    outside, missing = send(records["out"]["region_id"]), send(records["missing"]["region_id"])
    assert outside.status_code < 500 and missing.status_code < 500, (role, outside.content)
    if role != "admin":
        assert (outside.status_code, outside.content) == (missing.status_code, missing.content)
    assert dict(Account.objects.values_list("pk", "territory_id")) == before


# Filters that take record ids in the query: one outside the caller's scope is refused like a
# missing one (never widened to everyone's, never a hint that it exists).
QUERY_IDS = {
    "get_pipeline_board": {"owner_id": "user_id", "region_id": "region_id"},
}


@pytest.mark.parametrize(("operation_id", "param"),
                         [(o, p) for o, ps in sorted(QUERY_IDS.items()) for p in ps])  # fmt: skip
def test_query_ids_outside_the_scope_answer_like_missing_ones(world, records, operation_id, param):
    [(path, method)] = [(p, m) for p, m, o in OPERATIONS if o == operation_id]
    kind = QUERY_IDS[operation_id][param]
    url = re.sub(r"\{(\w+)\}", lambda m: str(records["in"][m.group(1)]), path)
    for role in ROLES:
        client = _client(world, role)
        inside = getattr(client, method)(f"{url}?{param}={records['in'][kind]}")
        outside = getattr(client, method)(f"{url}?{param}={records['out'][kind]}")
        missing = getattr(client, method)(f"{url}?{param}={records['missing'][kind]}")
        assert missing.status_code == 422, (role, missing.content)
        assert inside.status_code in (200, 422), (role, inside.content)
        if inside.status_code == 200 and role != "admin":
            assert MARKER not in inside.content.decode(), (role, operation_id)
        if role != "admin":
            assert (outside.status_code, outside.content) == (
                missing.status_code, missing.content
            ), (role, operation_id, param)  # fmt: skip
        else:
            assert outside.status_code == 200, (role, outside.content)
