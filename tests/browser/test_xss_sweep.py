"""Stored XSS, swept (issue 15 item 1): a payload in every user-controlled field, and every page
and map opened as the role that sees it. No dialog opens, no payload runs, nothing is evaluated
as Jinja on the server ("ssti" would appear), every document carries the Content-Security-Policy,
and no legitimate script is blocked by it (no violation, no console error; the maps are drawn,
Today lists its stops, the planner generates plans, the admin's map and /api/docs work).

A payload that got through the escaping would either run (a dialog) or be blocked by the policy
(a violation): both fail the walk, so the escaping is tested even where the policy would save us.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from fieldcrm.accounts.models import Activity, Contact, CustomFieldDefinition, Tag
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.notifications.models import Notification
from fieldcrm.orders.models import Order, PriceList, Product
from fieldcrm.plans.models import PlanJob
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.browser.test_manager_map import log_in
from tests.factories import make_account
from tests.harness.browser import PHONE, Phone, record_console
from tests.harness.photos import camera_jpeg

pytestmark = pytest.mark.browser


def evil(label: str, size: int = 200) -> str:
    """A payload that breaks out of HTML text, attributes, JS template literals and Jinja, and
    calls alert(label) if it runs anywhere. Shorter variants for short fields."""
    core = f"\"'><img src=x onerror=alert('{label}')>"
    if size < 64:
        return core[:size]
    text = core + "{{'ss'~'ti'}}"
    if size >= 120:
        text += f"`${{alert('{label}')}}`</script><script>alert('{label}')</script>"
    return text[:size]


# Every violation, in any frame, reaches Python through a binding (not subject to the policy).
WATCH_CSP = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI} in ${e.documentURI}`);
});
"""


@dataclass
class Walk:
    """A browser context that records dialogs, CSP violations, console errors and the policy of
    every document it loads."""

    page: Any
    base: str
    dialogs: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    documents: dict[str, str | None] = field(default_factory=dict)
    allowed_errors: list[str] = field(default_factory=list)  # console errors a test provokes

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, (path, response)

    def check_frames(self) -> None:
        for frame in self.page.frames:
            assert "ssti" not in frame.content(), f"Jinja evaluated in {frame.url}"

    def check(self) -> None:
        assert not self.dialogs, f"payload ran: {self.dialogs}"
        assert not self.violations, f"blocked by the policy: {self.violations}"
        unexpected = [
            e
            for e in self.errors
            if "favicon.ico" not in e and not any(re.search(p, e) for p in self.allowed_errors)
        ]
        assert not unexpected, unexpected
        assert self.documents
        for url, policy in self.documents.items():
            assert policy, f"no Content-Security-Policy on {url}"
            script_src = re.search(r"script-src ([^;]*)", policy)
            assert script_src and "'unsafe-inline'" not in script_src.group(1), (url, policy)
            assert "'unsafe-eval'" not in policy, (url, policy)


@pytest.fixture
def walks(browser, live_server, settings):
    # A local tile stub, so the maps load tiles (img-src) without leaving the machine.
    settings.FIELDCRM_TILE_URL = (
        f"{live_server.url}/static/vendor/leaflet/images/layers.png?z={{z}}&x={{x}}&y={{y}}"
    )
    opened: list[tuple[Any, Walk]] = []

    def open_walk(phone: bool = False) -> Walk:
        desk = {"viewport": {"width": 1280, "height": 900}, "timezone_id": "UTC"}
        context = browser.new_context(**(PHONE if phone else desk))
        context.set_default_timeout(30_000)
        page = context.new_page()
        walk = Walk(page, live_server.url)
        context.expose_binding("__cspViolation", lambda _source, text: walk.violations.append(text))
        context.add_init_script(WATCH_CSP)

        def on_dialog(dialog) -> None:
            walk.dialogs.append(f"{dialog.type}: {dialog.message} @ {page.url}")
            dialog.dismiss()

        def on_response(response) -> None:
            if response.request.resource_type == "document" and response.status in (200, 403, 404):
                walk.documents[response.url] = response.headers.get("content-security-policy")

        def on_request(request) -> None:
            host = urlsplit(request.url).hostname
            if host not in (None, "localhost", "127.0.0.1"):
                walk.errors.append(f"request left the machine: {request.url}")

        page.on("dialog", on_dialog)
        context.on("response", on_response)
        context.on("request", on_request)
        proxy = Phone(context=context, page=page, base=live_server.url)
        page.on("console", lambda msg: record_console(proxy, msg))
        page.on("pageerror", lambda exc: walk.errors.append(f"pageerror: {exc}"))
        walk.errors = proxy.errors  # one list: console errors land in it
        opened.append((context, walk))
        return walk

    yield open_walk
    try:
        for _context, walk in opened:
            walk.check()
    finally:
        for context, _walk in opened:
            context.close()


@pytest.fixture
def planted(world):
    """A payload in every user-controlled field the pages show."""
    for user, label in ((world.rep1, "rep1"), (world.manager, "mgr"), (world.planner, "pln")):
        user.first_name, user.last_name = evil(f"{label}-f", 150), evil(f"{label}-l", 150)
        user.save()
    world.rep2.first_name, world.rep2.last_name = "", ""
    world.rep2.username = evil("rep2-u", 150)  # shown when a user has no name
    world.rep2.save()
    for rep, lng in ((world.rep1, 1.05), (world.rep2, 1.15)):
        rep.home_base = Point(lng, 42.05, srid=4326)
        rep.working_days = [0, 1, 2, 3, 4, 5, 6]
        rep.save()
    world.north.name = evil("region", 120)
    world.north.save()
    world.territory_a.name = evil("terr-a", 120)
    world.territory_a.save()
    CustomFieldDefinition.objects.create(key="note", label=evil("cf-label", 120))
    tag = Tag.objects.create(name=evil("tag", 64))
    long_ago = timezone.now() - dt.timedelta(days=60)
    accounts = []
    for i, (lng, lat) in enumerate(((1.05, 42.05), (1.052, 42.051), (1.15, 42.05))):
        account = make_account(
            evil(f"acct{i}", 200), lng=lng, lat=lat, status="customer", visit_frequency_days=14,
            address=evil(f"addr{i}", 300), source=evil(f"src{i}", 120),
            custom_fields={"note": evil(f"cf{i}", 200)},
        )  # fmt: skip
        account.last_visited_at = long_ago
        account.phone = evil("tel", 40)
        account.email = evil("mail", 200)
        account.website = "javascript:alert('web')"
        account.save()
        account.tags.add(tag)
        accounts.append(account)
    shop = accounts[0]
    contact = Contact.objects.create(
        account=shop, name=evil("contact", 200), role=evil("role", 120), phone=evil("ctel", 40),
        email=evil("cmail", 200), notes=evil("cnotes", 500),
    )  # fmt: skip
    Activity.objects.create(
        account=shop, kind="note", actor=world.rep1, occurred_at=long_ago,
        subject=evil("subject", 200), body=evil("body", 500), contact=contact,
    )  # fmt: skip
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    for sequence, account in enumerate(accounts[:2], start=1):
        Visit.objects.create(
            account=account, rep=world.rep1, scheduled_on=dt.datetime.now(dt.UTC).date(),
            route_sequence=sequence, planned_arrival_at=start + dt.timedelta(minutes=40 * sequence),
            notes=evil(f"visit{sequence}", 500),
        )  # fmt: skip
    Task.objects.create(
        title=evil("task", 200), notes=evil("tnotes", 500), account=shop, assignee=world.rep1,
        created_by=world.manager, due_at=timezone.now() - dt.timedelta(days=1),
    )  # fmt: skip
    pipeline = Pipeline.objects.create(name=evil("pipe", 120), is_default=True)
    stage = Stage.objects.create(pipeline=pipeline, name=evil("stage", 120), position=1,
                                 probability=50)  # fmt: skip
    Deal.objects.create(account=shop, name=evil("deal", 200), pipeline=pipeline, stage=stage,
                        amount=1000, owner=world.rep1)  # fmt: skip
    product = Product.objects.create(sku=evil("sku", 64), name=evil("product", 200),
                                     unit=evil("unit", 20))  # fmt: skip
    price_list = PriceList.objects.create(name=evil("pricelist", 120), currency="EUR")
    price_list.territories.add(world.territory_a)
    price_list.items.create(product=product, unit_price=2)
    order = Order.objects.create(kind="quote", number="Q-2026-0001", account=shop,
                                 currency="EUR", issued_on=dt.date.today(),
                                 price_list=price_list, notes=evil("onotes", 500))  # fmt: skip
    order.lines.create(position=1, product=product, description=evil("line", 200),
                       unit=evil("unit", 20), quantity=1, unit_price=2)  # fmt: skip
    return accounts


def open_every_popup(frame) -> list[str]:
    """Open every popup and tooltip of the folium map in `frame` (what a user's clicks and
    hovers would show): Leaflet inserts their HTML then. Returns the text each one showed,
    read as it opened (a popup opened on the map closes the one before it).

    Waits first until the map holds a layer with a popup: the markers may be added after the
    territories (which are interactive too)."""
    find_layers = """
        const map = Object.values(window).find((v) => v instanceof L.Map);
        const layers = [];
        const visit = (layer) => {
            layers.push(layer);
            if (layer.getLayers) layer.getLayers().forEach(visit);
        };
        if (map) map.eachLayer(visit);
    """
    frame.wait_for_function(
        "() => {" + find_layers + "return layers.some((l) => l.getPopup && l.getPopup()); }"
    )
    return frame.evaluate(
        "() => {"
        + find_layers
        + """
        const shown = [];
        for (const layer of new Set(layers)) {
            if (layer.getPopup && layer.getPopup()) {
                const popup = L.popup().setLatLng(map.getCenter())
                    .setContent(layer.getPopup().getContent()).openOn(map);
                shown.push(popup.getElement().querySelector('.leaflet-popup-content').innerText);
            }
            if (layer.getTooltip && layer.getTooltip() && layer._map) {
                layer.openTooltip(layer.getLatLng ? layer.getLatLng() : map.getCenter());
                shown.push(layer.getTooltip().getElement().innerText);
            }
        }
        return shown;
    }"""
    )


def map_frame(page, selector: str):
    page.locator(selector).wait_for()
    frame = page.frame(url=re.compile(r"/(manager/map/frame|planner/map)"))
    frame.wait_for_function("() => window.L && document.querySelector('.leaflet-control-layers')")
    return frame


def nav_name(page) -> str:
    """The signed-in user's name in the navigation of every server page, as shown (text)."""
    return page.locator("header.site-header .site-user-name bdi").inner_text()


def bulk_change_walk(walk) -> None:
    """Assign the whole region to the rep with the payload for a name: the confirmation (names,
    warnings naming the territory) and the notice with Undo, after a reload too, show text."""
    page = walk.page
    page.evaluate(
        "() => window.fieldcrmOnDraw({geometry: {type: 'Polygon', coordinates: [[[0.9, 41.9],"
        " [1.3, 41.9], [1.3, 42.2], [0.9, 42.2], [0.9, 41.9]]]}})"
    )
    page.locator("#selection-list li").first.wait_for()
    page.locator("#assign-owner").select_option(index=1)  # rep2, named by the payload
    page.get_by_role("button", name="Assign", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for(state="visible")
    shown = dialog.inner_text()
    assert evil("acct0") in shown and evil("terr-a", 120) in shown and evil("rep2-u", 150) in shown
    walk.check_frames()
    dialog.get_by_role("button", name="Apply").click()
    page.locator("#bulk-notice").filter(has_text=evil("rep2-u", 150)).wait_for()
    walk.open("/manager/map")
    page.locator("#bulk-notice").filter(has_text=evil("rep2-u", 150)).wait_for()
    walk.check_frames()


def test_manager_pages_and_map_keep_payloads_inert(walks, world, planted):
    walk = walks()
    assert log_in(walk.page, walk.base, "manager", "/manager/").status == 200
    walk.page.get_by_role("heading", level=1).wait_for()
    assert nav_name(walk.page) == world.manager.display_name  # the payload, as text
    walk.check_frames()
    walk.open("/manager/map")
    frame = map_frame(walk.page, "#map-frame")
    frame.locator(".leaflet-interactive").first.wait_for(state="attached")
    shown = open_every_popup(frame)
    assert len(shown) >= 3
    # Shown, as text: the accounts' popups and the territories' tooltips.
    assert any(evil("acct0") in text for text in shown)
    assert any(evil("terr-a", 120) in text for text in shown)
    walk.page.locator("#assign-owner option").nth(1).wait_for(state="attached")
    assert nav_name(walk.page) == world.manager.display_name
    walk.check_frames()
    bulk_change_walk(walk)
    walk.open("/manager/map/frame")  # the frame on its own, as a download opens it
    walk.check_frames()
    # A notification's words come from a record's fields (a task title): shown as text.
    Notification.objects.create(recipient=world.manager, kind="task_overdue_manager",
                                params={"title": evil("notif-m"), "rep": evil("notif-r", 150)},
                                record_type="task")  # fmt: skip
    walk.open("/notifications/")
    walk.page.get_by_text(f"Long overdue: {evil('notif-m')}").wait_for()
    walk.check_frames()


def test_planner_page_and_route_map_keep_payloads_inert(walks, world, planted):
    walk = walks()
    day = timezone.localdate() + dt.timedelta(days=1)
    assert log_in(walk.page, walk.base, "planner", "/planner/").status == 200
    assert nav_name(walk.page) == world.planner.display_name
    walk.page.locator("#pl-limit").fill("1")
    with walk.page.expect_navigation(timeout=60_000):  # the page reloads once the job is done
        walk.page.locator("#pl-generate").click()
    walk.page.locator("section.pl-plan").first.wait_for()
    job = PlanJob.objects.latest("pk")
    assert job.status == "done", job.message
    # The job's own words (warnings, left-out visits) are data too.
    job.message = evil("jobmsg", 300)
    job.result = {
        **job.result,
        "warnings": [evil("warning", 200)],
        "dropped": [{"account_id": str(planted[2].pk), "name": evil("dropped", 200),
                     "reason": evil("reason", 200)}],
    }  # fmt: skip
    job.save()
    walk.open(f"/planner/?region={world.north.pk}&date={day}")
    frame = map_frame(walk.page, "iframe")
    assert frame.locator(".fieldcrm-stop").count() >= 2  # the routes are drawn
    assert len(open_every_popup(frame)) >= 4
    # The layer control shows each rep's name as text (it inserts names as HTML).
    assert evil("rep2-u", 150) in frame.locator(".leaflet-control-layers-overlays").inner_text()
    walk.check_frames()
    walk.open(f"/planner/map?region={world.north.pk}&date={day}")
    walk.check_frames()


def test_error_pages_keep_payloads_inert(walks, world, planted):
    """A rep (with a payload for a name) refused on a manager page and lost on a missing one:
    the styled 403 and 404 show the name in the navigation as text, and run nothing."""
    walk = walks()
    walk.allowed_errors.append(r"status of 40[34]")  # the browser logs the refused documents
    assert log_in(walk.page, walk.base, "rep1", "/manager/").status == 403
    assert nav_name(walk.page) == world.rep1.display_name
    walk.check_frames()
    for path in ("/planner/", "/manager/map", "/no-such-page/"):
        walk.page.goto(walk.base + path)
        assert nav_name(walk.page) == world.rep1.display_name
        walk.check_frames()


def test_phone_app_keeps_payloads_inert(walks, world, planted):
    walk = walks(phone=True)
    page = walk.page
    photographed = Visit.objects.create(account=planted[0], rep=world.rep1, status="done",
                                        notes=evil("vnotes", 500))  # fmt: skip
    Activity.objects.create(account=planted[0], kind="visit", actor=world.rep1, visit=photographed,
                            occurred_at=timezone.now(), subject=evil("vsubj", 200))  # fmt: skip
    Notification.objects.create(recipient=world.rep1, kind="account_visit_due",
                                params={"name": evil("notif-a"), "days": 7},
                                record_type="account", record_id=planted[0].pk)  # fmt: skip
    page.goto(f"{walk.base}/app/")
    page.get_by_label("Username").fill("rep1")
    page.get_by_label("Password").fill("pw-rep1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/app/"))
    page.wait_for_function("() => document.documentElement.dataset.ready === '1'")
    page.locator(".stop-name").nth(1).wait_for()  # Today lists both stops
    page.locator(".leaflet-container").wait_for()  # and draws its map
    walk.check_frames()
    # A visit photo the server refused (issue 21): its kind and the refusal are shown as text.
    page.evaluate(
        """([visitId, kind, error]) => globalThis.fieldcrm.db.putPhoto({id: 'evil-photo',
          visit_id: visitId, kind, error, status: 'failed', size: 10, blob: null,
          created_at: new Date().toISOString()})""",
        [str(photographed.pk), evil("pkind", 120), evil("perror", 200)],
    )
    walk_screens = (f"account/{planted[0].pk}", "nearby", "tasks", "more", f"visit/{planted[0].pk}")
    for screen in (*walk_screens, "notifications"):
        page.goto(f"{walk.base}/app/#/{screen}")
        page.locator("#screen h1").wait_for()
        if screen.startswith("account/"):
            page.get_by_text(evil("contact", 200)).wait_for()  # shown as text
            page.get_by_text(evil("deal", 200)).wait_for()
            page.get_by_text(evil("perror", 200)).wait_for()
            assert evil("pkind", 120) in page.locator(".photo-refusals").inner_text()
            # Issue 21: the contact's edit form holds the payloads as values; a new contact
            # named with one is added offline-first and shown, as text, with its own form.
            page.locator(".contact-form summary").first.click()
            page.locator(".contact-form summary").last.click()
            first_name = page.locator(".contact-form input[name=name]").first
            assert first_name.input_value() == evil("contact", 200)
            new = page.locator("#contact-new-form")
            new.locator("input[name=name]").fill(evil("newcontact", 200))
            new.locator("input[name=role]").fill(evil("newrole", 120))
            new.locator("button[type=submit]").click()
            page.locator("#contacts").get_by_text(evil("newcontact", 200)).wait_for()
            for form in page.locator(".contact-form summary").all():
                form.click()
        if screen.startswith("visit/"):  # a photo on the form: its thumbnail (an object URL)
            page.locator("#photo-input").set_input_files(files=[{
                "name": f"{evil('pname', 100)}.jpg", "mimeType": "image/jpeg",
                "buffer": camera_jpeg(page, 3, 400, 300),
            }])  # fmt: skip
            page.locator("#photo-list[data-count='1']").wait_for()
        if screen == "notifications":
            page.get_by_text(f"{evil('notif-a')} is due for a visit").wait_for()
        if screen == "tasks":  # a task done: the undo bar names it (then undone)
            page.locator("#screen li.task button").first.click()
            page.locator("#snackbar-action").wait_for()
            walk.check_frames()
            page.locator("#snackbar-action").click()
        walk.check_frames()
    # Orders on the phone (issue 18): the account's quote on the card, the product search and
    # the order's lines show the catalogue's names as text.
    page.wait_for_function(
        "async () => (await globalThis.fieldcrm.db.allRecords('price_items')).length === 1"
    )
    page.goto(f"{walk.base}/app/#/account/{planted[0].pk}")
    page.locator("#account-orders").get_by_text("Q-2026-0001").wait_for()
    page.goto(f"{walk.base}/app/#/order/{planted[0].pk}?kind=quote")
    page.locator("#product-search").fill("onerror")
    page.locator(".product-pick").first.click()
    page.locator("#order-lines").get_by_text(evil("product", 200)).wait_for()
    walk.check_frames()


def test_admin_api_docs_and_public_pages_keep_payloads_inert(walks, world, planted):
    walk = walks()
    walk.open("/")
    walk.open("/login/")
    walk.check_frames()
    assert log_in(walk.page, walk.base, "admin", "/admin/").status == 200
    for path in ("/admin/users/user/", "/admin/accounts/account/", "/admin/accounts/contact/",
                 f"/admin/users/user/{world.rep1.pk}/change/",
                 f"/admin/territories/territory/{world.territory_a.pk}/change/"):  # fmt: skip
        walk.open(path)
        walk.check_frames()
    walk.open(f"/admin/accounts/account/{planted[0].pk}/change/")
    walk.page.locator(".dj_map .ol-viewport").wait_for()  # the map widget is drawn
    walk.check_frames()
    walk.open("/api/docs")
    walk.page.locator(".swagger-ui .opblock").first.wait_for()  # Swagger UI rendered
    walk.check_frames()


def test_workspace_pages_keep_payloads_inert(walks, world, planted, settings, tmp_path):
    """The accounts list with every column (custom fields included), an account's (with its
    possible duplicates) and the merge page, a contact's and a deal's page (header, timeline,
    tasks, the quick actions' choices), the deal board (its drag and drop loaded under the
    policy) and the tasks page, for a manager and for a rep; a history entry naming a planted
    owner too."""
    from fieldcrm.accounts.services import account_change_activities
    from fieldcrm.crm.forms import column_labels
    from fieldcrm.crm.services import list_columns_set

    shop = planted[0]
    shop.owner = world.rep1
    shop.save()  # the planted e-mail and website would not pass full_clean()
    # A visit's photo from the phone (issue 21) on the timeline, under a planted file name.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fieldcrm.attachments.models import PhotoUpload
    from fieldcrm.attachments.services import attachment_store

    settings.MEDIA_ROOT = tmp_path
    maker = walks()
    maker.open("/login/")
    jpeg = camera_jpeg(maker.page, 5, 200, 150)
    seen = Visit.objects.create(account=shop, rep=world.rep1, status="done")
    Activity.objects.create(account=shop, kind="visit", actor=world.rep1, visit=seen,
                            occurred_at=timezone.now(), subject=evil("vsubj", 200))  # fmt: skip
    photo = attachment_store(record_type="visit", record=seen, uploaded_by=world.rep1,
                             upload=SimpleUploadedFile(f"{evil('pname', 100)}.jpg", jpeg,
                                                       "image/jpeg"))  # fmt: skip
    PhotoUpload.objects.create(visit=seen, uploaded_by=world.rep1, kind="shelf", size=len(jpeg),
                               sha256="0" * 64, content_type="image/jpeg", attachment=photo,
                               received=len(jpeg))  # fmt: skip
    history = account_change_activities(
        actor=world.manager, account=shop, status_before="lead", owner_before=world.rep2.pk
    )
    Activity.objects.bulk_create(history)
    for user in (world.manager, world.rep1):
        list_columns_set(actor=user, list_name="accounts", columns=list(column_labels()))
    from fieldcrm.crm.models import Segment

    segment = Segment.objects.create(
        owner=world.manager, name=evil("seg", 100), query={"q": [evil("segq", 100)]},
        is_shared=True,
    )  # fmt: skip
    for persona in ("manager", "rep1"):
        walk = walks()
        assert log_in(walk.page, walk.base, persona, "/crm/accounts/").status == 200
        assert nav_name(walk.page) == getattr(world, persona).display_name
        table = walk.page.locator("#crm-accounts").inner_text()
        assert evil("acct0") in table and evil("tag", 64) in table
        walk.check_frames()
        walk.open(f"/crm/accounts/?q={evil('q', 60)}&tags={evil('tag', 64)}&area={evil('area')}")
        walk.check_frames()
        walk.open(f"/crm/accounts/{shop.pk}/")
        page_text = walk.page.locator("main").inner_text()
        for shown in (evil("acct0"), evil("subject", 200), evil("contact", 200),
                      evil("task", 200), evil("deal", 200), evil("cf0", 200)):  # fmt: skip
            assert shown in page_text, shown
        assert walk.page.get_by_role("img", name="Visit photo: shelf").count() == 1
        walk.check_frames()
        if persona == "manager":  # the planted twins share a phone and an e-mail: merge page
            assert evil("acct1", 200) in walk.page.locator("#duplicates").inner_text()
            walk.open(f"/crm/accounts/{shop.pk}/merge/{planted[1].pk}")
            merge = walk.page.locator("#merge-form").inner_text()
            assert evil("acct1", 200) in merge and evil("addr1", 300) in merge
            walk.check_frames()
        walk.open(f"/crm/contacts/{Contact.objects.get(account=shop).pk}/")
        assert evil("cnotes", 500) in walk.page.locator("main").inner_text()
        walk.check_frames()
        walk.open(f"/crm/deals/{Deal.objects.get(account=shop).pk}/")
        assert evil("pipe", 120) in walk.page.locator("main").inner_text()
        walk.check_frames()
        walk.open("/crm/deals/board/")
        board = walk.page.locator("#crm-board").inner_text()
        assert evil("deal", 200) in board and evil("stage", 120) in board
        walk.page.wait_for_function("() => document.getElementById('crm-board').dataset.ready")
        walk.check_frames()
        walk.open("/crm/tasks/?who=team" if persona == "manager" else "/crm/tasks/")
        assert evil("task", 200) in walk.page.locator("main").inner_text()
        walk.check_frames()

        # Segments (a planted name, shared), search (its page and the Ctrl+K palette) and,
        # for the manager, a bulk change's preview naming the planted accounts.
        walk.open(f"/crm/accounts/?segment={segment.pk}")
        assert evil("seg", 100) in walk.page.locator(".crm-segments").inner_text()
        walk.check_frames()
        walk.open(f"/crm/search/?q={evil('q', 60)}")
        walk.open("/crm/search/?q=img src")  # in every planted name
        assert evil("acct0") in walk.page.locator("#crm-search-results").inner_text()
        walk.page.locator("#crm-search[data-ready]").wait_for(state="attached")
        walk.page.keyboard.press("Control+k")
        walk.page.locator("#crm-palette-q").fill("img src")
        walk.page.locator("#crm-palette [role=option]").first.wait_for()
        assert evil("contact", 200) in walk.page.locator("#crm-palette").inner_text()
        walk.check_frames()
        if persona == "manager":
            walk.open("/crm/accounts/")
            walk.page.locator("#crm-accounts input[type=checkbox]").first.check()
            walk.page.select_option("#bulk_change", "tier:A")
            walk.page.locator("#crm-bulk-preview-button").click()
            walk.page.locator("#crm-bulk-preview").wait_for()
            assert evil("acct0") in walk.page.locator("#crm-bulk-preview").inner_text()
            walk.check_frames()
        # Orders and quotes, the new-quote form (its product choices) and the catalogue.
        order = Order.objects.get(account=shop)
        walk.open("/crm/orders/")
        assert evil("acct0") in walk.page.locator("main").inner_text()
        walk.check_frames()
        walk.open(f"/crm/orders/{order.pk}/")
        for shown in (evil("onotes", 500), evil("line", 200), evil("pricelist", 120)):
            assert shown in walk.page.locator("main").inner_text(), shown
        walk.check_frames()
        walk.open(f"/crm/accounts/{shop.pk}/orders/new?kind=quote")
        walk.check_frames()
        if persona == "manager":
            walk.open("/crm/products/")
            assert evil("product", 200) in walk.page.locator("main").inner_text()
            walk.check_frames()
            walk.open(f"/crm/products/{Product.objects.get().pk}/")
            walk.check_frames()
            walk.open("/crm/price-lists/")
            assert evil("pricelist", 120) in walk.page.locator("main").inner_text()
            walk.check_frames()
            walk.open(f"/crm/price-lists/{order.price_list_id}/")
            walk.check_frames()


def test_settings_pages_keep_payloads_inert(walks, world, planted):
    """The automation page (rules, their conditions and actions, the run log) and the webhooks
    pages (URL, the reason it was disabled, the delivery log with its errors), as the admin."""
    from fieldcrm.automation.models import (
        Event,
        Rule,
        RuleRun,
        Webhook,
        WebhookAttempt,
        WebhookDelivery,
    )
    from fieldcrm.notifications.models import Delivery

    rule = Rule.objects.create(
        name=evil("rule", 120),
        trigger="deal.created",
        conditions=[{"field": evil("cfield", 60), "op": "eq", "value": evil("cvalue", 200)}],
        actions=[{"type": "create_task", "title": evil("atitle", 200), "due_in_days": 2}],
        created_by=world.admin,
    )
    event = Event.objects.create(
        kind="deal.created", record_type="deal", record_id=evil("rid", 64),
        data={"name": evil("ename", 200)},
    )  # fmt: skip
    RuleRun.objects.create(rule=rule, event=event, status="failed", log=[evil("runlog", 500)])
    hook = Webhook.objects.create(
        url="https://hooks.example/x?q=%22%3E", event_types=["deal.created"], secret="s",
        enabled=False, disabled_reason=evil("why", 300),
    )  # fmt: skip
    delivery = Delivery.objects.create(channel="webhook", key="wh.x", last_error=evil("err", 300))
    wd = WebhookDelivery.objects.create(webhook=hook, event=event, delivery=delivery)
    WebhookAttempt.objects.create(webhook_delivery=wd, error=evil("attempt", 300))
    walk = walks()
    assert log_in(walk.page, walk.base, "admin", "/crm/settings/automation").status == 200
    shown = walk.page.locator("main").inner_text()
    for text in (evil("rule", 120), evil("cvalue", 200), evil("atitle", 200), evil("runlog", 500)):
        assert text in shown, text
    walk.check_frames()
    # The rule's edit page: the same values as text in its form rows.
    walk.open(f"/crm/settings/automation/{rule.pk}/edit")
    assert walk.page.locator("#rule_name").input_value() == evil("rule", 120)
    assert walk.page.locator("#rule_c0_value").input_value() == evil("cvalue", 200)
    assert walk.page.locator("#rule_a0_text").input_value() == evil("atitle", 200)
    walk.check_frames()
    walk.open("/crm/settings/webhooks")
    assert evil("why", 300) in walk.page.locator("main").inner_text()
    walk.check_frames()
    walk.open(f"/crm/settings/webhooks/{hook.pk}")
    assert evil("attempt", 300) in walk.page.locator("main").inner_text()
    walk.check_frames()
    # A saved document template holding a payload: the editor shows it as text in its field.
    from fieldcrm.documents.models import DocumentTemplate

    DocumentTemplate.objects.create(kind="quote", language="en", body=evil("template", 300))
    walk.open("/crm/settings/documents")
    walk.check_frames()
    walk.open("/crm/settings/documents/quote/en")
    assert evil("template", 300) in walk.page.locator("#id_body").input_value()
    walk.check_frames()


def test_workspace_settings_pages_keep_payloads_inert(walks, world, planted):
    """The settings index, the custom fields (label, choice rows, the edit page) and the lost
    reasons (their list, and the deal page's move form that offers them), as the admin."""
    from fieldcrm.deals.models import LostReason

    field = CustomFieldDefinition.objects.create(
        key="grade", label=evil("cf-choice-label", 120), kind="choice",
        choices=[evil("choice1", 120), evil("choice2", 120)],
    )  # fmt: skip
    LostReason.objects.create(name=evil("reason", 120))
    walk = walks()
    assert log_in(walk.page, walk.base, "admin", "/crm/settings/").status == 200
    walk.check_frames()
    walk.open("/crm/settings/fields")
    shown = walk.page.locator("main").inner_text()
    assert evil("cf-choice-label", 120) in shown and evil("choice2", 120) in shown
    walk.check_frames()
    walk.open(f"/crm/settings/fields/{field.pk}")
    walk.page.locator("#field-form[data-ready]").wait_for()
    assert walk.page.locator("#cf-choices input").first.input_value() == evil("choice1", 120)
    walk.check_frames()
    walk.open("/crm/settings/lost-reasons")
    reason = walk.page.locator("#lost-reasons input[name=name]").first
    assert reason.input_value() == evil("reason", 120)
    walk.check_frames()
    walk.open(f"/crm/deals/{Deal.objects.first().pk}/")
    assert evil("reason", 120) in walk.page.locator("#deal-move-reason").inner_text()
    walk.check_frames()


def test_pipeline_and_web_form_settings_keep_payloads_inert(walks, world, planted):
    """The pipelines (list, a pipeline's stages, a stage's removal page) and the web forms
    (list, a form's page with its snippets and framed preview, the form's own page and its
    thank-you text), as the admin."""
    from fieldcrm.deals.models import Pipeline, Stage
    from fieldcrm.leads.models import WebForm

    pipeline = Pipeline.objects.create(name=evil("pipeline", 120))
    stage = Stage.objects.create(pipeline=pipeline, name=evil("stage", 120), position=1)
    form = WebForm.objects.create(
        name=evil("webform", 100), tags=[evil("tag", 60)], thank_you=evil("thanks", 300),
        fields=["name", "message"],
    )  # fmt: skip
    walk = walks()
    assert log_in(walk.page, walk.base, "admin", "/crm/settings/pipelines").status == 200
    assert evil("stage", 120) in walk.page.locator("#pipelines").inner_text()
    walk.open(f"/crm/settings/pipelines/{pipeline.pk}")
    assert walk.page.locator("#stages input[name=name]").first.input_value() == evil("stage", 120)
    walk.check_frames()
    walk.open(f"/crm/settings/stages/{stage.pk}/delete")
    assert evil("stage", 120) in walk.page.locator("h1").inner_text()
    walk.open("/crm/settings/forms")
    assert evil("tag", 60) in walk.page.locator("#web-forms").inner_text()
    walk.open(f"/crm/settings/forms/{form.pk}")
    from django.utils.html import escape

    # The snippet is HTML a site pastes: the form's name in it is escaped, never live markup.
    snippet = walk.page.locator("#snippet-iframe").input_value()
    assert escape(evil("webform", 100)) in snippet and evil("webform", 100) not in snippet
    walk.page.frame_locator("#web-form-preview").locator("#lead-form").wait_for()
    walk.check_frames()
    walk.open(f"/forms/{form.token}")
    walk.page.get_by_label("Your name").fill(evil("lead", 120))
    walk.page.get_by_role("button", name="Send").click()
    assert evil("thanks", 300) in walk.page.locator("#lead-thanks").inner_text()
    walk.check_frames()


def test_integration_pages_and_the_call_popup_keep_payloads_inert(walks, world, planted):
    """Issue 18: an integration's name, a caller's number and account, a messenger sender and
    text, on the settings pages, the unknown callers, the account's timeline and reply card,
    and the incoming-call popup (filled from the notification's JSON)."""
    from fieldcrm.integrations.models import Call, Integration, Message
    from fieldcrm.integrations.services import _ring
    from tests.factories import make_account

    account = make_account(evil("callacct", 200), phone="+358 40 765 4321", owner=world.rep1)
    pbx = Integration.objects.create(kind="pbx", name=evil("pbx", 100))
    messenger = Integration.objects.create(kind="messenger", name=evil("im", 100),
                                           reply_url="http://127.0.0.1:9/")  # fmt: skip
    now = timezone.now()
    for number, on in ((evil("num", 40), None), ("+358 40 765 4321", account)):
        Call.objects.create(integration=pbx, call_id=number, direction="in", caller=number,
                            callee="200", number=number, account=on, state="ended",
                            started_at=now, duration_s=5)  # fmt: skip
    Message.objects.create(integration=messenger, direction="in", message_id="m", channel="zalo",
                           sender="+358 40 765 4321", sender_name=evil("sender", 200),
                           text=evil("imtext", 500), account=account)  # fmt: skip
    Activity.objects.create(account=account, kind="message", occurred_at=now,
                            subject=evil("sender", 200), body=evil("imtext", 500),
                            details={"direction": "in", "channel": "zalo"})  # fmt: skip
    walk = walks()
    assert log_in(walk.page, walk.base, "admin", "/crm/settings/integrations").status == 200
    assert evil("pbx", 100) in walk.page.locator("main").inner_text()
    walk.check_frames()
    walk.open(f"/crm/settings/integrations/{pbx.pk}")
    assert evil("callacct", 200) in walk.page.locator("#calls").inner_text()
    walk.check_frames()
    walk.open("/crm/calls/unknown")
    assert evil("num", 40) in walk.page.locator("#unknown-calls").inner_text()
    walk.check_frames()
    rep = walks()
    assert log_in(rep.page, rep.base, "rep1", f"/crm/accounts/{account.pk}/").status == 200
    assert evil("imtext", 500) in rep.page.locator("#timeline-list").inner_text()
    assert evil("sender", 200) in rep.page.locator("#reply").inner_text()
    _ring(Call.objects.select_related("account__owner", "contact").get(account=account))
    rep.page.evaluate("window.dispatchEvent(new Event('focus'))")
    rep.page.locator(".call-toast").wait_for()
    assert evil("callacct", 200) in rep.page.locator(".call-toast").inner_text()
    rep.check_frames()
