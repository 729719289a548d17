"""The admin's settings walk for pipelines and web forms: a pipeline made from the settings
index, a stage added, dragged into place by its handle and stepped with the keyboard's
buttons, the board showing that order, a stage holding a deal removed after choosing where
the deal goes; the lost reasons dragged into a new order; then a web form made, its plain
HTML snippet pasted into a page of another site (a second local server: another origin),
sent from there, and the lead in the accounts list. A manager's walk (issue 16): from the
settings link to the web forms of their region, a form made there and its snippet shown."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fieldcrm.accounts.models import Account
from fieldcrm.deals.models import Deal, LostReason, Pipeline
from fieldcrm.deals.services import lost_reason_create
from fieldcrm.leads.models import WebForm
from tests.factories import make_account

pytestmark = pytest.mark.browser


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_site(tmp_path):
    """A plain static web server on another port: the site that embeds the form."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()  # fmt: skip
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _stage_names(page):
    return [i.input_value() for i in page.locator("#stages input[name=name]").all()]


def test_an_admin_orders_stages_and_a_lead_arrives_through_the_snippet(laptops, world, other_site):
    page = laptops("admin", "/crm/settings/")
    page.locator("#settings-pages").get_by_role("link", name="Pipelines and stages").click()
    page.locator("#pipelines-empty").wait_for()
    page.get_by_label("Pipeline name").fill("Field sales")
    page.locator("#pipeline-submit").click()
    page.get_by_text("Pipeline “Field sales” added.").wait_for()
    assert _stage_names(page) == ["New", "Won", "Lost"]
    form = page.locator("#stage-form")
    form.get_by_label("Stage name").fill("Demo")
    form.get_by_label("Win probability %").fill("40")
    page.locator("#stage-submit").click()
    page.get_by_text("Stage added.").wait_for()
    assert _stage_names(page) == ["New", "Demo", "Won", "Lost"]  # open: before won and lost

    # Demo dragged above New by its handle: the whole order is saved at once.
    page.locator("#stages[data-ready]").wait_for()
    rows = page.locator("#stages .crm-stage")
    rows.nth(1).locator(".crm-handle").drag_to(rows.nth(0), target_position={"x": 5, "y": 2})
    page.get_by_text("Stage order saved.").wait_for()
    assert _stage_names(page) == ["Demo", "New", "Won", "Lost"]
    # The keyboard's way: Lost's "up" button, pressed with Enter.
    page.get_by_role("button", name="Move “Lost” up").press("Enter")
    page.get_by_text("Stages saved.").wait_for()
    assert _stage_names(page) == ["Demo", "New", "Lost", "Won"]
    pipeline = Pipeline.objects.get(name="Field sales")
    new = pipeline.stages.get(name="New")
    deal = Deal.objects.create(account=make_account("Bakery Nord", lng=1.05), name="Ovens",
                               pipeline=pipeline, stage=new, owner=world.rep1)  # fmt: skip
    page.goto(page.url.split("/crm/")[0] + f"/crm/deals/board/?pipeline={pipeline.pk}")
    columns = [h.inner_text().split(" (")[0] for h in page.locator(".crm-board h2").all()]
    assert columns == ["Demo", "New", "Lost", "Won"]

    # New holds the deal: removing it asks where the deal goes.
    page.go_back()
    page.get_by_role("link", name="Remove “New”").click()
    page.get_by_text("It holds 1 deal").wait_for()
    page.get_by_label("Move its deals to").select_option(label="Demo (Open)")
    page.locator("#stage-delete").click()
    page.get_by_text("Stage “New” removed; 1 deals moved.").wait_for()
    assert _stage_names(page) == ["Demo", "Lost", "Won"]
    deal.refresh_from_db()
    assert deal.stage.name == "Demo"

    # The lost reasons are dragged the same way.
    for name in ("Price", "Timing"):
        lost_reason_create(actor=world.admin, name=name)
    page.goto(page.url.split("/crm/")[0] + "/crm/settings/lost-reasons")
    page.locator("#lost-reasons[data-ready]").wait_for()
    reasons = page.locator("#lost-reasons .crm-reason")
    reasons.nth(1).locator(".crm-handle").drag_to(reasons.nth(0), target_position={"x": 5, "y": 2})
    page.get_by_text("Lost reasons saved.").wait_for()
    assert list(LostReason.objects.values_list("name", flat=True)) == ["Timing", "Price"]

    # A web form for the other site, its HTML snippet pasted into a page there.
    site_dir, site = other_site
    page.goto(page.url.split("/crm/")[0] + "/crm/settings/forms")
    page.locator("#web-forms-empty").wait_for()
    page.get_by_label("Form name").fill("Spring fair")
    page.get_by_label("Phone").uncheck()
    page.get_by_label("Tags its leads get").fill("fair")
    page.get_by_label("Thank-you text").fill("See you at the fair!")
    page.get_by_label("Allowed origins").fill(site)
    page.get_by_label("Owner of its leads").select_option(label="rep1")
    page.locator("#web-form-submit").click()
    page.get_by_text("Web form “Spring fair” added.").wait_for()
    assert page.frame_locator("#web-form-preview").locator("#lead-form").is_visible()
    snippet = page.locator("#snippet-html").input_value()
    (site_dir / "contact.html").write_text(
        f"<!doctype html><meta charset=utf-8><title>Our shop</title><h1>Contact us</h1>{snippet}"
    )
    visitor = page.context.browser.new_page()
    try:
        visitor.goto(f"{site}/contact.html")
        visitor.get_by_label("Your name").fill("Marta Vila")
        visitor.get_by_label("E-mail").fill("marta@example.com")
        visitor.get_by_label("Message").fill("Two ovens, please.")
        assert visitor.get_by_label("Phone").count() == 0  # not offered
        visitor.get_by_role("button", name="Send").click()
        visitor.locator("#lead-thanks").wait_for()
        assert visitor.locator("#lead-thanks").inner_text() == "See you at the fair!"
    finally:
        visitor.close()
    lead = Account.objects.get(name="Marta Vila")
    assert lead.owner == world.rep1 and list(lead.tags.values_list("name", flat=True)) == ["fair"]
    assert WebForm.objects.get().origins == [site]
    page.goto(page.url.split("/crm/")[0] + "/crm/accounts/?q=Marta")
    page.locator("#crm-accounts").get_by_role("link", name="Marta Vila").wait_for()


def test_a_manager_makes_a_web_form_for_their_region_and_sees_its_snippet(laptops, world):
    page = laptops("manager", "/manager/")
    page.locator(".site-nav").get_by_role("link", name="Settings").click()
    pages = page.locator("#settings-pages")
    assert pages.get_by_role("link").all_inner_texts() == ["Web forms"]
    pages.get_by_role("link", name="Web forms").click()
    page.locator("#web-forms-empty").wait_for()
    region = page.get_by_label("Region")
    assert region.locator("option").all_inner_texts() == ["North"]  # theirs alone, no empty one
    page.get_by_label("Form name").fill("North fair")
    page.get_by_label("Territory").select_option(label=world.territory_a.name)
    page.locator("#web-form-submit").click()
    page.get_by_text("Web form “North fair” added.").wait_for()
    form = WebForm.objects.get(name="North fair")
    assert form.region == world.north and form.territory == world.territory_a
    assert f"/forms/{form.token}" in page.locator("#snippet-html").input_value()
    assert page.frame_locator("#web-form-preview").locator("#lead-form").is_visible()
