"""Issue 21, the rep's phone: four small things the issue lists, in one walk.

Offline, the rep adds a contact on an account card (an empty name and a bad e-mail are refused
next to their fields first) and edits another; picks Google Maps as the navigation app (the
card's Navigate follows); completes a task and undoes it. After a reload, still offline, all
of it is there; online, one sync gives the server exactly those two contact rows (the role the
office changed meanwhile kept, the phone's shown as a conflict on the card) and the task still
open, with nothing sent for the task. Last, the browser's install offer (a synthetic
``beforeinstallprompt``: headless Chromium never fires one) shows our own button, whose tap
asks the browser's prompt; "Not now" is remembered.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fieldcrm.accounts.models import Contact
from fieldcrm.accounts.services import contact_update
from fieldcrm.sync.models import AppliedOp
from fieldcrm.tasks.models import Task
from tests.factories import make_account

pytestmark = pytest.mark.browser

# A browser's install offer, as Chromium would fire it: cancelable, with prompt() and its answer.
INSTALL_OFFER = """() => {
  const event = new Event('beforeinstallprompt', { cancelable: true });
  event.prompt = () => {
    window.__prompted = (window.__prompted || 0) + 1;
    return Promise.resolve();
  };
  event.userChoice = Promise.resolve({ outcome: 'accepted', platform: 'web' });
  window.dispatchEvent(event);
  return event.defaultPrevented;
}"""


@pytest.fixture
def shop(world):
    shop = make_account("Botiga Contactes", lng=1.0500, lat=42.0500, status="customer")
    Contact.objects.create(account=shop, name="Anna Vidal", role="Buyer", phone="+376 800 101")
    Task.objects.create(
        title="Call the bakery", account=shop, assignee=world.rep1, created_by=world.manager,
        due_at=timezone.now() + dt.timedelta(minutes=30),
    )  # fmt: skip
    return shop


def test_contacts_navigation_app_task_undo_and_install_offer(phones, shop, world):
    phone = phones()
    phone.context.set_default_timeout(60_000)  # a loaded 2-core machine starts slowly
    phone.login("rep1")
    page = phone.page
    phone.context.set_offline(True)
    page.locator("#net-status", has_text="Offline").wait_for()
    page.evaluate("(hash) => { location.hash = hash; }", f"#/account/{shop.pk}")
    page.get_by_role("heading", name="Botiga Contactes").wait_for()
    navigate = page.locator("#navigate")
    assert navigate.get_attribute("href").startswith("geo:42.05,1.05")  # the default

    # Add a contact: refused at the field first (the server's rules), then saved offline.
    form = page.locator("#contact-new-form")
    form.locator("summary").click()
    form.get_by_label("Email").fill("marta@")
    form.get_by_role("button", name="Add contact").click()
    assert page.locator("#contact-new-name-error").inner_text() == "A contact needs a name."
    assert "name@example.com" in page.locator("#contact-new-email-error").inner_text()
    assert form.get_by_label("Name *").get_attribute("aria-invalid") == "true"
    form.get_by_label("Name *").fill("Marta Puig")
    form.get_by_label("Role or title").fill("Owner")
    form.get_by_label("Phone").fill("+376 800 202")
    form.get_by_label("Email").fill("marta@example.com")
    form.get_by_role("button", name="Add contact").click()
    page.locator("#contacts").get_by_text("Marta Puig").wait_for()
    assert page.locator("#contacts").get_by_text("+376 800 202").get_attribute("dir") == "ltr"

    # Edit the one the server had.
    anna = page.locator("#contacts li", has_text="Anna Vidal")
    anna.locator("summary", has_text="Edit").click()
    anna.get_by_label("Role or title").fill("Head buyer")
    anna.get_by_label("Email").fill("anna@example.com")
    anna.get_by_role("button", name="Save changes").click()
    page.locator("#contacts li", has_text="Head buyer").wait_for()
    phone.wait_pending(2)

    # The navigation app, chosen on More, is what every Navigate opens.
    page.get_by_role("link", name="More").click()
    page.get_by_label("Navigation app").select_option("google")
    page.locator("#toast", has_text="Navigation app saved.").wait_for()
    page.evaluate("(hash) => { location.hash = hash; }", f"#/account/{shop.pk}")
    page.get_by_role("heading", name="Botiga Contactes").wait_for()
    google = "https://www.google.com/maps/dir/?api=1&destination=42.05%2C1.05"
    assert navigate.get_attribute("href") == google

    # A task done, then undone, offline: the completion never leaves the phone.
    page.get_by_role("link", name="Tasks").click()
    page.get_by_role("button", name="Done: Call the bakery").click()
    bar = page.locator("#snackbar")
    bar.get_by_text("Task completed.").wait_for()
    assert page.get_by_role("button", name="Done: Call the bakery").count() == 0
    phone.wait_pending(3)
    bar.get_by_role("button", name="Undo: reopen Call the bakery").click()
    page.get_by_role("button", name="Done: Call the bakery").wait_for()
    phone.wait_pending(2)

    # A reload, offline: everything is still there.
    page.reload()
    phone.wait_ready()
    assert phone.pending() == 2
    page.evaluate("(hash) => { location.hash = hash; }", f"#/account/{shop.pk}")
    page.locator("#contacts").get_by_text("Marta Puig").wait_for()
    assert navigate.get_attribute("href") == google
    assert not Contact.objects.filter(name="Marta Puig").exists()  # nothing left the phone

    # Meanwhile the office changed Anna's role: the phone's role is a conflict, its e-mail not.
    anna_row = Contact.objects.get(name="Anna Vidal")
    contact_update(actor=world.manager, contact_id=anna_row.pk, data={"role": "Purchasing"})

    # Online: one sync; the server has exactly those rows, the task open, nothing sent for it.
    phone.synced_after(lambda: phone.context.set_offline(False))
    rows = {(c.name, c.role, c.phone, c.email) for c in Contact.objects.filter(account=shop)}
    assert rows == {
        ("Anna Vidal", "Purchasing", "+376 800 101", "anna@example.com"),
        ("Marta Puig", "Owner", "+376 800 202", "marta@example.com"),
    }
    assert AppliedOp.objects.filter(user=world.rep1, entity="contact").count() == 2
    alert = page.get_by_role("alert")
    alert.wait_for()  # on the card: the server's role kept, the phone's shown
    assert "Role or title: kept Purchasing; yours was Head buyer" in alert.inner_text()
    alert.get_by_role("button", name="Dismiss").click()
    alert.wait_for(state="detached")
    task = Task.objects.get(title="Call the bakery")
    assert task.done_at is None
    assert not AppliedOp.objects.filter(user=world.rep1, entity="task").exists()

    # The install offer: our button instead of the browser's mini-infobar; a tap prompts.
    page.get_by_role("link", name="More").click()
    page.get_by_role("heading", name="More").wait_for()
    assert page.locator("#install-offer").count() == 0
    assert page.evaluate(INSTALL_OFFER) is True  # the default infobar held back
    page.get_by_role("button", name="Install the app").click()
    page.wait_for_function("() => window.__prompted === 1")
    page.locator("#install-offer").wait_for(state="detached")
    # Offered again, "Not now": remembered after a reload.
    page.evaluate(INSTALL_OFFER)
    page.get_by_role("button", name="Not now").click()
    page.locator("#install-offer").wait_for(state="detached")
    page.reload()
    phone.wait_ready()
    page.get_by_role("heading", name="More").wait_for()
    page.evaluate(INSTALL_OFFER)
    page.get_by_label("Navigation app").wait_for()
    assert page.get_by_label("Navigation app").input_value() == "google"
    assert page.locator("#install-offer").count() == 0
