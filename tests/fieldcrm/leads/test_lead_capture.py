"""Lead capture through the public web-form endpoint."""

import json

import pytest
from django.test import Client

from fieldcrm.access import scoped
from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.leads import services
from fieldcrm.leads.models import WebForm

LEAD = {
    "name": "Anna Puig",
    "company": "Puig Flowers",
    "email": "anna@example.com",
    "phone": "+376 555 000",
    "address": "Carrer Major 3, Andorra",
    "message": "Please call me about prices.",
}


@pytest.fixture
def form(world):
    return WebForm.objects.create(name="Shop site", region=world.north)


def post(form_or_token, data, *, as_json=False, client=None, **extra):
    token = getattr(form_or_token, "token", form_or_token)
    client = client or Client(enforce_csrf_checks=True)
    url = f"/api/v1/leads/forms/{token}"
    if as_json:
        return client.post(url, json.dumps(data), content_type="application/json", **extra)
    return client.post(url, data, **extra)


def test_form_post_creates_a_lead_with_contact_and_activity(form, settings):
    settings.FIELDCRM_GEOCODER_URL = ""
    response = post(form, LEAD)
    assert response.status_code == 201, response.content
    assert response.json()["received"] is True
    lead = Account.objects.get()
    assert (lead.name, lead.status, lead.source) == ("Puig Flowers", "lead", "web form: Shop site")
    assert (lead.email, lead.phone, lead.location) == ("anna@example.com", "+376 555 000", None)
    assert Contact.objects.get(account=lead).name == "Anna Puig"
    activity = Activity.objects.get(account=lead)
    assert activity.kind == "system" and "Shop site" in activity.subject
    assert "Please call me about prices." in activity.body
    assert "No geocoder" in activity.body


def test_json_post_works_too_and_a_person_alone_is_the_account_name(form, settings):
    settings.FIELDCRM_GEOCODER_URL = ""
    response = post(form, {"name": "Joan", "email": ""}, as_json=True)
    assert response.status_code == 201, response.content
    assert Account.objects.get().name == "Joan"
    assert not Contact.objects.exists()


def test_honeypot_answers_the_same_and_stores_nothing(form):
    real = post(form, {**LEAD, "email": "x@example.com"})
    Account.all_objects.all().delete()
    bot = post(form, {**LEAD, "website_url": "http://spam.example", "email": "not-an-email"})
    assert bot.status_code == real.status_code == 201
    assert bot.json() == real.json()
    assert not Account.all_objects.exists() and not Activity.objects.exists()


def test_rate_limit_per_ip_is_429_json(form, monkeypatch):
    monkeypatch.setattr(services, "MAX_PER_IP", 2)
    client = Client()
    codes = [post(form, {"name": f"N{i}"}, client=client).status_code for i in range(3)]
    assert codes == [201, 201, 429]
    assert post(form, {"name": "N"}, client=client).json()["detail"]
    other_ip = post(form, {"name": "Elsewhere"}, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 201
    assert Account.objects.count() == 3


def test_rate_limit_per_form_counts_every_address(form, monkeypatch):
    monkeypatch.setattr(services, "MAX_PER_FORM", 2)
    codes = [post(form, {"name": "N"}, REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(3)]
    assert codes == [201, 201, 429]


@pytest.mark.parametrize("token", ["nope", "x" * 300])
def test_unknown_or_inactive_token_is_404(form, token):
    assert post(token, LEAD).status_code == 404
    form.is_active = False
    form.save()
    response = post(form, LEAD)
    assert response.status_code == 404 and "detail" in response.json()
    assert not Account.all_objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"email": "nope", "name": "A"}, "email"), ({"message": "hi"}, "name"),
     ({"name": "A", "phone": "1" * 41}, "phone")],
)  # fmt: skip
def test_bad_fields_are_422_naming_them(form, data, field):
    response = post(form, data)
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert not Account.all_objects.exists()


def test_malformed_json_is_422(form):
    response = Client().post(
        f"/api/v1/leads/forms/{form.token}", "{oops", content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "body"]


def test_geocoder_locates_the_lead_and_territory_follows(form, geocoder, world):
    assert post(form, LEAD).status_code == 201
    lead = Account.objects.get()
    assert (lead.location.y, lead.location.x) == (42.03, 1.03)
    assert lead.territory == world.territory_a
    assert geocoder.queries == ["Carrer Major 3, Andorra"]
    assert "Located at" in Activity.objects.get().body
    # No place_rank in the answer: only a place, flagged for a person to check.
    assert lead.geocode_quality == "place" and lead.location_needs_review
    # The region's manager and the territory's rep see it.
    assert scoped(Account, world.rep1).filter(pk=lead.pk).exists()


@pytest.mark.parametrize("failure", ["status_500", "timeout", "nonsense", "not_found"])
def test_geocoder_failure_never_loses_the_lead(form, geocoder, failure):
    if failure == "status_500":
        geocoder.status, geocoder.body = 500, {"error": "boom"}
    elif failure == "timeout":
        geocoder.delay_s = 1.5
    elif failure == "nonsense":
        geocoder.body = [{"lat": "north", "lon": "1"}]
    else:
        geocoder.body = []
    response = post(form, LEAD)
    assert response.status_code == 201
    lead = Account.objects.get()
    assert lead.location is None
    assert lead.geocode_quality == "none" and lead.location_needs_review
    body = Activity.objects.get().body
    assert "no location yet" in body


def test_unreachable_geocoder_never_loses_the_lead(form, settings):
    settings.FIELDCRM_GEOCODER = "nominatim"
    settings.FIELDCRM_GEOCODER_URL = "http://127.0.0.1:9/search"  # discard port: refused
    assert post(form, LEAD).status_code == 201
    assert Account.objects.get().location is None


def test_allowed_origins_get_cors_headers_and_others_are_refused(form):
    form.allowed_origins = "https://shop.example.com\n"
    form.save()
    ok = post(form, LEAD, HTTP_ORIGIN="https://shop.example.com")
    assert ok.status_code == 201
    assert ok["Access-Control-Allow-Origin"] == "https://shop.example.com"
    refused = post(form, LEAD, HTTP_ORIGIN="https://evil.example.com")
    assert refused.status_code == 403
    preflight = Client().options(
        f"/api/v1/leads/forms/{form.token}", HTTP_ORIGIN="https://shop.example.com"
    )
    assert preflight.status_code == 204
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert Account.objects.count() == 1


def test_default_owner_gets_the_lead(form, world, settings):
    settings.FIELDCRM_GEOCODER_URL = ""
    form.default_owner = world.rep2
    form.save()
    post(form, LEAD)
    assert Account.objects.get().owner == world.rep2


def test_web_forms_are_scoped_admins_all_managers_their_region(world):
    north = WebForm.objects.create(name="North site", region=world.north)
    south = WebForm.objects.create(name="South site", region=world.south)
    assert set(scoped(WebForm, world.admin)) == {north, south}
    assert list(scoped(WebForm, world.manager)) == [north]
    assert list(scoped(WebForm, world.manager, write=True)) == [north]
    for persona in (world.rep1, world.planner):
        assert not scoped(WebForm, persona).exists()


def test_admin_lists_forms_and_rotates_tokens(world, form, client):
    client.force_login(world.admin)
    page = client.get("/admin/leads/webform/")
    assert page.status_code == 200 and b"Shop site" in page.content
    detail = client.get(f"/admin/leads/webform/{form.pk}/change/")
    assert form.token.encode() in detail.content
    old = form.token
    client.post(
        "/admin/leads/webform/",
        {"action": "rotate_token", "_selected_action": [form.pk]},
    )
    form.refresh_from_db()
    assert form.token != old
    assert post(old, LEAD).status_code == 404
