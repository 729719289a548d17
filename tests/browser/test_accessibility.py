"""Accessibility (issues 16 and 21): axe-core in Chromium reports no serious or critical
violation on any page: every phone screen at 360×640 in English and in Persian (right to
left), every workspace page under /crm/ (lists, records, board, search, settings), the
manager's pages and maps, the planner's page and route map, the notifications, the public web
form and the Django admin's account page.

One live server, one browser and one set of records for the whole module (one logged-in
context per persona): each page costs only its load and axe's run. The records live for the
module (not flushed after each test) and are flushed once at its end, as a transactional test
would leave the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.test.utils import override_settings
from django.utils import timezone

from tests.conftest import make_world
from tests.harness import axe
from tests.harness.browser import LOCAL_HOSTS, PHONE
from tests.harness.photos import camera_jpeg

pytestmark = pytest.mark.browser

DESK = {"viewport": {"width": 1280, "height": 900}, "timezone_id": "UTC"}


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Overrides pytest-django's helper, which would flush the database after every test that
    uses the live server: here the records are the module's (``site`` flushes them once)."""
    yield


def build_records(world) -> dict[str, Any]:
    """A little of everything the pages show, so no page is only its empty state."""
    from fieldcrm.accounts.models import Activity, Contact, CustomFieldDefinition, Tag
    from fieldcrm.automation.models import Rule, Webhook
    from fieldcrm.crm.models import Segment
    from fieldcrm.deals.models import Deal, LostReason, Pipeline, Stage
    from fieldcrm.integrations.models import Call, Integration
    from fieldcrm.leads.models import WebForm
    from fieldcrm.notifications.models import Notification
    from fieldcrm.orders.models import Order, PriceList, Product
    from fieldcrm.tasks.models import Task
    from fieldcrm.visits.models import Visit
    from tests.factories import make_account

    for rep, lng in ((world.rep1, 1.05), (world.rep2, 1.15)):
        rep.home_base = Point(lng, 42.05, srid=4326)
        rep.working_days = [0, 1, 2, 3, 4, 5, 6]
        rep.first_name, rep.last_name = rep.username.capitalize(), "Field"
        rep.save()
    field = CustomFieldDefinition.objects.create(
        key="grade", label="Grade", kind="choice", choices=["Gold", "Silver"]
    )
    tag = Tag.objects.create(name="Bakeries")
    long_ago = timezone.now() - dt.timedelta(days=60)
    accounts = []
    for name, lng, lat in (("Bakery Nord", 1.05, 42.05), ("Café Sud", 1.052, 42.051),
                           ("Kiosk Est", 1.054, 42.049), ("Bar Oest", 1.15, 42.05)):  # fmt: skip
        account = make_account(
            name, lng=lng, lat=lat, status="customer", visit_frequency_days=14,
            address="1 Main Street", phone="+376 800 100", email="shop@example.com",
            owner=world.rep1 if lng < 1.1 else world.rep2, custom_fields={"grade": "Gold"},
        )  # fmt: skip
        account.last_visited_at = long_ago
        account.save()
        account.tags.add(tag)
        accounts.append(account)
    shop = accounts[0]
    contact = Contact.objects.create(account=shop, name="Anna Baker", role="Owner",
                                     phone="+376 800 101", email="anna@example.com")  # fmt: skip
    Activity.objects.create(
        account=shop,
        kind="note",
        actor=world.rep1,
        occurred_at=long_ago,
        subject="Likes early visits",
        body="Before ten.",
        contact=contact,
    )
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    for sequence, account in enumerate(accounts[:3], start=1):
        Visit.objects.create(
            account=account, rep=world.rep1, scheduled_on=dt.datetime.now(dt.UTC).date(),
            route_sequence=sequence, planned_arrival_at=start + dt.timedelta(minutes=40 * sequence),
        )  # fmt: skip
    now = timezone.now()
    for title, due in (("Call the owner", now - dt.timedelta(days=1)),
                       ("Send the price list", now + dt.timedelta(hours=2)),
                       ("Check the oven", now + dt.timedelta(days=3))):  # fmt: skip
        Task.objects.create(title=title, account=shop, assignee=world.rep1,
                            created_by=world.manager, due_at=due)  # fmt: skip
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stages = [
        Stage.objects.create(pipeline=pipeline, name=name, position=i, probability=p)
        for i, (name, p) in enumerate((("Qualify", 20), ("Propose", 60)), start=1)
    ]
    deal = Deal.objects.create(account=shop, name="New ovens", pipeline=pipeline,
                               stage=stages[0], amount=1000, owner=world.rep1)  # fmt: skip
    LostReason.objects.create(name="Too expensive")
    product = Product.objects.create(sku="BREAD-1", name="Bread flour", unit="kg")
    price_list = PriceList.objects.create(name="Standard", currency="EUR")
    price_list.territories.add(world.territory_a)
    price_list.items.create(product=product, unit_price=2)
    order = Order.objects.create(kind="quote", number="Q-2026-0001", account=shop,
                                 currency="EUR", issued_on=dt.date.today(),
                                 price_list=price_list)  # fmt: skip
    order.lines.create(position=1, product=product, description="Bread flour", unit="kg",
                       quantity=1, unit_price=2)  # fmt: skip
    segment = Segment.objects.create(owner=world.manager, name="Gold bakeries",
                                     query={"tags": ["Bakeries"]}, is_shared=True)  # fmt: skip
    rule = Rule.objects.create(
        name="Follow up new deals", trigger="deal.created",
        conditions=[{"field": "amount", "op": "gt", "value": "100"}],
        actions=[{"type": "create_task", "title": "Call about the deal", "due_in_days": 2}],
        created_by=world.admin,
    )  # fmt: skip
    hook = Webhook.objects.create(url="https://hooks.example/crm", event_types=["deal.created"],
                                  secret="s")  # fmt: skip
    pbx = Integration.objects.create(kind="pbx", name="Office phones")
    Call.objects.create(integration=pbx, call_id="c1", direction="in", caller="+376 800 999",
                        callee="200", number="+376 800 999", state="ended", started_at=now,
                        duration_s=5)  # fmt: skip
    form = WebForm.objects.create(name="Contact us", fields=["name", "message"],
                                  thank_you="Thanks!", region=world.north)  # fmt: skip
    for user in (world.rep1, world.manager):
        Notification.objects.create(recipient=user, kind="account_visit_due",
                                    params={"name": shop.name, "days": 7},
                                    record_type="account", record_id=shop.pk)  # fmt: skip
    return {
        "shop": shop, "twin": accounts[1], "contact": contact, "deal": deal, "order": order,
        "product": product, "price_list": price_list, "segment": segment, "rule": rule,
        "hook": hook, "pbx": pbx, "form": form, "field": field, "pipeline": pipeline,
        "stage": stages[0], "day": timezone.localdate() + dt.timedelta(days=1),
    }  # fmt: skip


class Site:
    """The live server's URL, the module's records and one logged-in context per persona."""

    def __init__(self, browser, base: str, world, records: dict[str, Any]) -> None:
        self.browser, self.base, self.world, self.records = browser, base, world, records
        self.pages: dict[str, Any] = {}
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}

    def _context(self, shape: dict) -> Any:
        context = self.browser.new_context(**shape)
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

        def on_request(request) -> None:
            if urlsplit(request.url).hostname not in (None, *LOCAL_HOSTS):
                self.errors.append(f"request left the machine: {request.url}")

        context.on("request", on_request)
        return page

    def desk(self, username: str) -> Any:
        if username not in self.pages:
            page = self._context(DESK)
            page.goto(f"{self.base}/login/?{urlencode({'next': '/notifications/'})}")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(f"pw-{username}")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(re.compile(r"/notifications/"))
            self.pages[username] = page
        return self.pages[username]

    def phone(self, language: str) -> Any:
        key = f"phone-{language}"
        if key not in self.pages:
            page = self._context(PHONE)
            page.goto(f"{self.base}/app/")
            page.wait_for_url(re.compile(r"/login/"))
            page.get_by_label("Username").fill("rep1")
            page.get_by_label("Password").fill("pw-rep1")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(re.compile(r"/app/"))
            page.wait_for_function("() => document.documentElement.dataset.ready === '1'")
            page.wait_for_function(
                "() => document.getElementById('sync-indicator')?.dataset.pending === '0'"
                " && Number(document.getElementById('sync-indicator').dataset.syncs) > 0"
            )
            page.locator(".stop-name").nth(2).wait_for()  # Today lists the three stops
            if language != "en":
                page.goto(f"{self.base}/app/#/more")
                page.locator("#screen h1").wait_for()
                page.locator("select#language, select[name=language]").select_option(language)
                page.wait_for_function(
                    "(lang) => document.documentElement.lang === lang", arg=language
                )
            self.pages[key] = page
        return self.pages[key]

    def open(self, page: Any, path: str) -> None:
        response = page.goto(self.base + path)
        if response is not None:  # a hash change within the phone app answers nothing
            assert response.status == 200, (path, response.status)


@pytest.fixture(scope="module")
def site(browser, live_server, django_db_setup, django_db_blocker):
    with contextlib.ExitStack() as stack:
        stack.enter_context(django_db_blocker.unblock())
        stack.enter_context(override_settings(
            FIELDCRM_GEOCODER="off", FIELDCRM_BACKUP_AT=None,
            # A local tile stub: the maps load tiles without leaving the machine.
            FIELDCRM_TILE_URL=(
                f"{live_server.url}/static/vendor/leaflet/images/layers.png?z={{z}}&x={{x}}&y={{y}}"
            ),
        ))  # fmt: skip
        live_server._live_server_modified_settings.enable()
        stack.callback(live_server._live_server_modified_settings.disable)
        stack.callback(call_command, "flush", interactive=False, verbosity=0)
        world = make_world()
        site = Site(browser, live_server.url, world, build_records(world))
        try:
            yield site
        finally:
            for page in site.pages.values():
                page.context.close()
            if site.counts:
                print("\naxe serious/critical nodes per page:")
                for name, found in site.counts.items():
                    print(f"  {found:3d}  {name}")
    assert not site.errors, site.errors


def check(site: Site, page: Any, name: str) -> None:
    found = axe.violations(page)
    site.counts[name] = axe.count(found)
    assert not found, f"{name}: {axe.count(found)} serious/critical\n" + axe.report(found)


# A browser's install offer, as Chromium fires it (headless Chromium never does).
INSTALL_OFFER = """() => {
  const event = new Event('beforeinstallprompt', { cancelable: true });
  event.prompt = () => Promise.resolve();
  event.userChoice = Promise.resolve({ outcome: 'dismissed', platform: 'web' });
  window.dispatchEvent(event);
}"""

PHONE_SCREENS = ["today", "map", "list", "nearby", "account", "visit", "prospect", "tasks",
                 "more", "notifications", "order", "notification-settings"]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("screen", PHONE_SCREENS)
def test_phone_screen(site, screen, language):
    page = site.phone(language)
    if screen in ("account", "visit"):
        screen = f"{screen}/{site.records['shop'].pk}"
    if screen == "order":  # the shop's price list is on the phone: the whole order screen
        screen = f"order/{site.records['shop'].pk}?kind=order"
    page.evaluate("(hash) => { location.hash = hash; }", f"#/{screen}")
    page.locator("#screen h1").wait_for()
    if screen in ("today", "map"):
        page.locator("#screen .leaflet-container").wait_for()
    if screen == "tasks":
        page.locator("#screen li").first.wait_for()
    if screen.startswith("visit/"):  # a photo taken (issue 21): its thumbnail and Remove
        page.locator("#photo-input").set_input_files(files=[{
            "name": "shelf.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg(page, 4, 400, 300),
        }])  # fmt: skip
        page.locator("#photo-list[data-count='1']").wait_for()
    if screen.startswith("order/"):
        page.locator("#product-search").wait_for()
    if screen == "notification-settings":  # loaded from the server: its form
        page.locator("#notification-settings-form").wait_for()
    if screen.startswith("account/"):  # issue 21: the contact forms open, one showing errors
        page.locator("#contact-new-form").wait_for()  # the card drawn (not the last screen)
        for form in page.locator(".contact-form").all()[:2]:
            form.locator("summary").click()
        page.locator("#contact-new-form button[type=submit]").click()
        page.locator("#contact-new-name-error").wait_for()
    if screen == "more":  # the browser's install offer (synthetic): our own button
        page.evaluate(INSTALL_OFFER)
        page.locator("#install-offer").wait_for()
    undo = None
    if screen == "tasks":  # a task done: the undo bar (undone after the check)
        page.locator("#screen li.task button").first.click()
        undo = page.locator("#snackbar-action")
        undo.wait_for()
    check(site, page, f"phone {language} #/{screen.split('/')[0]}")
    if undo is not None:
        undo.click()
        page.locator("#snackbar").wait_for(state="hidden")


# (persona, path, the selectors the page shows once drawn, "|" between them); {name}: the
# module's records.
DESK_PAGES = [
    ("manager", "/crm/accounts/", "#crm-accounts"),
    ("manager", "/crm/accounts/?segment={segment}", "#crm-accounts"),
    # The "Draw an area" map open on an area (territory A's box, encoded: fieldcrm/crm/area.py).
    (
        "manager",
        "/crm/accounts/?area=_cj_G_ibE%3F_pR_pR%3F%3F~oR~oR%3F",
        "#crm-area-map[data-ready]",
    ),
    ("manager", "/crm/accounts/{shop}/", "#account-name"),
    ("manager", "/crm/accounts/{shop}/merge/{twin}", "#merge-form"),
    ("manager", "/crm/contacts/{contact}/", "main h1"),
    ("manager", "/crm/deals/{deal}/", "main h1"),
    ("manager", "/crm/deals/board/", "#crm-board[data-ready]"),
    ("manager", "/crm/tasks/?who=team", "main h1"),
    ("manager", "/crm/search/?q=Bakery", "#crm-search-results"),
    ("manager", "/crm/orders/", "main h1"),
    ("manager", "/crm/orders/{order}/", "main h1"),
    ("manager", "/crm/accounts/{shop}/orders/new?kind=quote", "main h1"),
    ("manager", "/crm/products/", "main h1"),
    ("manager", "/crm/products/{product}/", "main h1"),
    ("manager", "/crm/price-lists/", "main h1"),
    ("manager", "/crm/price-lists/{price_list}/", "main h1"),
    ("manager", "/crm/emails/suppressed", "main h1"),
    ("manager", "/crm/emails/review", "main h1"),
    ("manager", "/crm/settings/forms/{form}", "#snippet-iframe"),
    ("rep1", "/crm/accounts/", "#crm-accounts"),
    ("rep1", "/crm/accounts/{shop}/", "#account-name"),
    ("rep1", "/crm/tasks/", "main h1"),
    ("admin", "/crm/settings/", "main h1"),
    ("admin", "/crm/settings/fields", "main h1"),
    ("admin", "/crm/settings/fields/{field}", "#field-form[data-ready]"),
    ("admin", "/crm/settings/lost-reasons", "main h1"),
    ("admin", "/crm/settings/pipelines", "#pipelines"),
    ("admin", "/crm/settings/pipelines/{pipeline}", "#stages"),
    ("admin", "/crm/settings/stages/{stage}/delete", "main h1"),
    ("admin", "/crm/settings/forms", "#web-forms"),
    ("admin", "/crm/settings/forms/{form}", "#snippet-iframe"),
    ("admin", "/crm/settings/automation", "main h1"),
    ("admin", "/crm/settings/automation/{rule}/edit", "#rule_name"),
    ("admin", "/crm/settings/webhooks", "main h1"),
    ("admin", "/crm/settings/webhooks/{hook}", "main h1"),
    ("admin", "/crm/settings/documents", "main h1"),
    ("admin", "/crm/settings/documents/quote/en", "#id_body"),
    ("admin", "/crm/settings/integrations", "main h1"),
    ("admin", "/crm/settings/integrations/{pbx}", "main h1"),
    ("admin", "/crm/calls/unknown", "#unknown-calls"),
    ("admin", "/admin/accounts/account/{shop}/change/", ".dj_map .ol-viewport|#id_tags_from"),
    ("manager", "/manager/", "main h1"),
    ("manager", "/manager/map", "#map-frame"),
    ("manager", "/manager/map/frame", ".leaflet-control-layers"),
    ("manager", "/manager/territories/balance", "main h1"),
    ("manager", "/notifications/", "main h1"),
    ("planner", "/planner/", "main h1"),
    ("planner", "/planner/map?region={north}&date={day}", ".leaflet-control-layers"),
    (None, "/forms/{token}", "#lead-form"),
    (None, "/login/", "main h1"),
]


def page_id(entry: tuple) -> str:
    return f"{entry[0] or 'anonymous'} {entry[1]}"


@pytest.mark.parametrize("entry", DESK_PAGES, ids=page_id)
def test_desk_page(site, browser, entry):
    persona, template, ready = entry
    r = site.records
    values = {name: getattr(value, "pk", value) for name, value in r.items()}
    path = template.format(**values, north=site.world.north.pk, token=r["form"].token)
    if persona is None:
        context = browser.new_context(**DESK)
        page = context.new_page()
    else:
        context, page = None, site.desk(persona)
    try:
        site.open(page, path)
        for selector in ready.split("|"):
            page.locator(selector).first.wait_for(state="attached")
        if "#map-frame" in ready:  # the map is drawn in its frame
            frame = page.frame(url=re.compile(r"/manager/map/frame"))
            frame.wait_for_function("() => document.querySelector('.leaflet-control-layers')")
        check(site, page, page_id(entry))
    finally:
        if context is not None:
            context.close()
