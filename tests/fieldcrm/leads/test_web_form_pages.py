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


@pytest.mark.parametrize("persona", ["rep1", "planner"])
def test_reps_and_planners_may_not_open_the_web_form_settings(world, persona):
    form = WebForm.objects.create(name="North form", region=world.north)
    client = _client(getattr(world, persona))
    assert client.get("/crm/settings/forms").status_code == 403
    assert client.post("/crm/settings/forms", FORM).status_code == 403
    for action in ("", "/rotate", "/delete"):
        for pk in (form.pk, 987654):
            answer = client.post(f"/crm/settings/forms/{pk}{action}", {**FORM, "confirm": "1"})
            assert answer.status_code == 403, (action, pk)
    assert list(WebForm.objects.values_list("name", flat=True)) == ["North form"]


def _plain(response):
    """A page without what differs between any two answers: its CSRF tokens and the path."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())
    return re.sub(r'name="next" value="[^"]*"', "", text)


@pytest.fixture
def forms(world):
    """A form inside the manager's region (North), one outside it (South), one in no region."""
    return {
        "inside": WebForm.objects.create(name="Inside form", region=world.north),
        "outside": WebForm.objects.create(name="Outside form", region=world.south),
        "none": WebForm.objects.create(name="Regionless form"),
    }


@pytest.mark.parametrize("persona", ["manager", "admin"])
@pytest.mark.parametrize("where", ["inside", "outside", "none", "missing"])
def test_a_manager_keeps_the_forms_of_their_regions_and_an_admin_every_one(
    world, forms, persona, where
):
    client = _client(getattr(world, persona))
    found = where != "missing" and (persona == "admin" or where == "inside")
    listed = client.get("/crm/settings/forms").content.decode()
    assert ("Inside form" in listed) and ("Outside form" in listed) == (persona == "admin")
    assert ("Regionless form" in listed) == (persona == "admin")
    form = forms.get(where)
    pk = form.pk if form else 987654
    region = {"inside": world.north.pk, "outside": world.south.pk}.get(where, "")
    if persona == "manager":
        region = world.north.pk
    missing = client.get("/crm/settings/forms/987654")
    page = client.get(f"/crm/settings/forms/{pk}")
    edited = client.post(f"/crm/settings/forms/{pk}", {**FORM, "name": "Edited",
                                                      "region": region})  # fmt: skip
    old = form.token if form else None
    rotated = client.post(f"/crm/settings/forms/{pk}/rotate", {"confirm": "1"})
    deleted = client.post(f"/crm/settings/forms/{pk}/delete", {"confirm": "1"})
    if not found:  # out of scope: the very 404 a missing form gets, nothing changed
        for answer in (page, edited, rotated, deleted):
            assert (answer.status_code, _plain(answer)) == (404, _plain(missing))
        if form:
            assert WebForm.objects.get(pk=pk).token == old
            assert WebForm.objects.get(pk=pk).name == form.name
        return
    assert page.status_code == 200 and "snippet-iframe" in page.content.decode()
    assert edited.status_code == 302 and rotated.status_code == 302
    assert deleted.status_code == 302 and deleted["Location"] == "/crm/settings/forms"
    assert not WebForm.objects.filter(pk=pk).exists()


def test_a_manager_edits_and_rotates_their_regions_form(world, forms):
    manager = _client(world.manager)
    form = forms["inside"]
    page = manager.get(f"/crm/settings/forms/{form.pk}").content.decode()
    # The choices: the manager's regions alone, no empty one; territories and owners within.
    region_select = re.search(r'<select name="region".*?</select>', page, re.S)[0]
    assert re.findall(r'<option value="(\d*)"', region_select) == [str(world.north.pk)]
    territories = re.search(r'<select name="territory".*?</select>', page, re.S)[0]
    assert "A" in territories and ">S<" not in territories
    owners = re.search(r'<select name="default_owner".*?</select>', page, re.S)[0]
    assert "rep1" in owners and "rep3" not in owners and "admin" not in owners
    saved = manager.post(f"/crm/settings/forms/{form.pk}", {
        **FORM, "region": world.north.pk, "territory": world.territory_b.pk,
        "default_owner": world.rep2.pk})  # fmt: skip
    assert saved.status_code == 302
    form.refresh_from_db()
    assert (form.territory, form.default_owner) == (world.territory_b, world.rep2)
    old = form.token
    manager.post(f"/crm/settings/forms/{form.pk}/rotate", {"confirm": "1"})
    form.refresh_from_db()
    assert form.token != old
    unconfirmed = manager.post(f"/crm/settings/forms/{form.pk}/delete", {})
    assert unconfirmed.status_code == 302 and WebForm.objects.filter(pk=form.pk).exists()


def test_a_manager_may_not_move_a_form_out_of_their_regions(world, forms):
    manager = _client(world.manager)
    form = forms["inside"]
    for region in (world.south.pk, ""):
        moved = manager.post(f"/crm/settings/forms/{form.pk}", {**FORM, "region": region})
        page = unescape(moved.content.decode())
        assert moved.status_code == 400 and 'id="webform_region-error"' in page, region
        assert "Region:" in page
    made = manager.post("/crm/settings/forms", {**FORM, "name": "Elsewhere",
                                               "region": world.south.pk})  # fmt: skip
    assert made.status_code == 400 and 'id="webform_region-error"' in made.content.decode()
    form.refresh_from_db()
    assert form.region == world.north and form.name == "Inside form"
    assert not WebForm.objects.filter(name="Elsewhere").exists()
    # The service refuses the same at the region field (a DomainError: 422 on the API).
    with pytest.raises(DomainError) as moved:
        web_form_save(actor=world.manager, form_id=form.pk, data={
            "name": "Moved", "is_active": True, "fields": ["name"],
            "region_id": world.south.pk})  # fmt: skip
    assert moved.value.field == "region"
    with pytest.raises(DomainError) as none:
        web_form_save(
            actor=world.manager,
            data={"name": "Nowhere", "is_active": True, "fields": ["name"], "region_id": None},
        )
    assert none.value.field == "region"
    form.refresh_from_db()
    assert form.region == world.north and form.name == "Inside form"


def test_a_manager_creates_a_form_for_their_region_and_the_settings_index_lists_it(world):
    manager = _client(world.manager)
    made = manager.post("/crm/settings/forms", {**FORM, "region": world.north.pk})
    assert made.status_code == 302
    form = WebForm.objects.get(name=FORM["name"])
    assert form.region == world.north
    index = manager.get("/crm/settings/").content.decode()
    assert 'href="/crm/settings/forms"' in index
    assert 'href="/crm/settings/automation"' not in index
    assert 'href="/crm/settings/fields"' not in index
