"""/crm/settings/forms (admins keep the lead web forms without the Django admin) and the form's
own page /forms/<token> (what the embed snippets show and post to): the fields it offers, the
owner, territory and tags its leads get, its thank-you text, its allowed origins as frame
ancestors and as a refusal, errors at the field, nothing stored on a refusal."""

import re
from html import unescape

import pytest
from django.test import Client

from fieldcrm.accounts.models import Account
from fieldcrm.core.errors import DomainError
from fieldcrm.leads.models import WebForm
from fieldcrm.leads.services import web_form_save

FORM = {
    "name": "Shop <site>", "is_active": "on", "offered": ["name", "email", "message"],
    "default_owner": "", "region": "", "territory": "", "tags": "web, spring <sale>",
    "thank_you": "Thanks!\nWe call back within a day.", "allowed_origins": "",
}  # fmt: skip


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(world):
    return _client(world.admin)


def _created(admin, **changes):
    response = admin.post("/crm/settings/forms", {**FORM, **changes})
    assert response.status_code == 302, response.content.decode()
    return WebForm.objects.get(name=changes.get("name", FORM["name"]))


def test_an_admin_makes_a_form_and_its_page_offers_exactly_its_fields(world, admin):
    assert "web-forms-empty" in admin.get("/crm/settings/forms").content.decode()
    form = _created(admin, default_owner=world.rep1.pk, territory=world.territory_a.pk)
    assert form.fields == ["name", "email", "message"] and form.tags == ["spring <sale>", "web"]
    page = admin.get(f"/crm/settings/forms/{form.pk}").content.decode()
    assert "Shop &lt;site&gt;" in page and "Shop <site>" not in page
    snippet = unescape(re.search(r'id="snippet-html"[^>]*>(.*?)</textarea>', page, re.S)[1])
    assert f'action="http://testserver/forms/{form.token}"' in snippet
    assert 'title="Shop &lt;site&gt;"' in unescape(
        re.search(r'id="snippet-iframe"[^>]*>(.*?)</textarea>', page, re.S)[1]
    )
    names = re.findall(r'name="(\w+)"', snippet)
    assert names == ["name", "email", "message", "website_url"]
    hosted = Client().get(f"/forms/{form.token}")
    assert hosted.status_code == 200
    assert re.findall(r'<(?:input|textarea)[^>]* name="(\w+)"', hosted.content.decode()) == [
        "name", "email", "message", "website_url"]  # fmt: skip
    assert "frame-ancestors *" in hosted["Content-Security-Policy"]
    assert "X-Frame-Options" not in hosted


def test_a_lead_sent_through_the_page_gets_the_forms_owner_territory_and_tags(world, admin):
    form = _created(admin, default_owner=world.rep2.pk, territory=world.territory_a.pk)
    sent = Client().post(f"/forms/{form.token}", {"name": "Anna", "email": "anna@example.com",
                                                  "message": "Call me"})  # fmt: skip
    assert sent.status_code == 200
    assert "Thanks!<br>We call back within a day." in sent.content.decode()
    lead = Account.objects.get(name="Anna")
    assert lead.status == "lead" and lead.owner == world.rep2
    assert lead.territory == world.territory_a  # not located: the form's territory
    assert sorted(lead.tags.values_list("name", flat=True)) == ["spring <sale>", "web"]
    assert lead.source == "web form: Shop <site>"


def test_a_bad_post_shows_the_errors_at_their_fields_and_stores_nothing(world, admin):
    form = _created(admin)
    bad = Client().post(f"/forms/{form.token}", {"name": "Anna", "email": "not-an-address"})
    page = bad.content.decode()
    assert bad.status_code == 400 and 'id="lead-email-error"' in page
    assert "E-mail: Enter a valid e-mail address." in page and 'value="not-an-address"' in page
    nobody = Client().post(f"/forms/{form.token}", {"name": "", "message": "x" * 5001})
    page = nobody.content.decode()
    assert nobody.status_code == 400 and "Message: At most 5000 characters." in page
    assert "Give a name or a company." not in page  # the name rule waits for valid fields
    nameless = Client().post(f"/forms/{form.token}", {"name": " ", "message": "Hi"}).content
    assert 'id="lead-name-error"' in nameless.decode()
    assert "Give a name or a company." in nameless.decode()
    assert not Account.objects.exists()
    trapped = Client().post(f"/forms/{form.token}", {"name": "Bot", "website_url": "x"})
    assert trapped.status_code == 200 and not Account.objects.exists()


def test_allowed_origins_frame_the_page_and_refuse_posts_from_other_sites(world, admin):
    form = _created(admin, allowed_origins="https://shop.example.com/\nhttp://localhost:8123")
    assert form.origins == ["https://shop.example.com", "http://localhost:8123"]
    policy = Client().get(f"/forms/{form.token}")["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://shop.example.com http://localhost:8123" in policy
    elsewhere = Client().post(f"/forms/{form.token}", {"name": "Eve"},
                              headers={"Origin": "https://evil.example"})  # fmt: skip
    assert elsewhere.status_code == 403 and "does not accept posts" in elsewhere.content.decode()
    framed = Client().post(
        f"/forms/{form.token}", {"name": "Ana"}, headers={"Origin": "http://testserver"}
    )  # our page in a frame
    assert framed.status_code == 200
    host = Client().post(f"/forms/{form.token}", {"name": "Bea"},
                         headers={"Origin": "https://shop.example.com"})  # fmt: skip
    assert host.status_code == 200
    assert sorted(Account.objects.values_list("name", flat=True)) == ["Ana", "Bea"]


def test_the_settings_refuse_at_the_field_and_save_nothing(world, admin):
    no_name = admin.post("/crm/settings/forms", {**FORM, "offered": ["email", "message"]})
    assert no_name.status_code == 400
    assert "Fields offered: Offer a name or a company" in no_name.content.decode()
    origin = admin.post("/crm/settings/forms", {**FORM, "allowed_origins": "shop.example.com"})
    assert origin.status_code == 400 and "Allowed origins: “shop.example.com” is not an origin" in (
        unescape(origin.content.decode())
    )
    outside = admin.post("/crm/settings/forms", {**FORM, "territory": 987654})
    assert outside.status_code == 400
    assert not WebForm.objects.exists()
    with pytest.raises(DomainError) as owner:
        web_form_save(actor=world.manager, data={
            "name": "Mine", "is_active": True, "fields": ["name"], "region_id": world.north.pk,
            "default_owner_id": world.rep3.pk})  # fmt: skip
    assert owner.value.field == "default_owner"


def test_an_inactive_or_rotated_form_is_a_plain_404(world, admin):
    form = _created(admin)
    old = form.token
    admin.post(f"/crm/settings/forms/{form.pk}/rotate", {"confirm": "1"})
    form.refresh_from_db()
    assert form.token != old and Client().get(f"/forms/{old}").status_code == 404
    edited = admin.post(f"/crm/settings/forms/{form.pk}", {**FORM, "is_active": ""})
    assert edited.status_code == 302
    assert Client().post(f"/forms/{form.token}", {"name": "Late"}).status_code == 404


@pytest.mark.parametrize("persona", ["rep1", "manager", "planner"])
def test_only_admins_open_the_web_form_settings(world, persona):
    client = _client(getattr(world, persona))
    assert client.get("/crm/settings/forms").status_code == 403
    assert client.post("/crm/settings/forms", FORM).status_code == 403
    assert not WebForm.objects.exists()
