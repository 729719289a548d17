"""Every admin page renders, and the map widget loads nothing from a CDN."""

import re

import pytest
from django.contrib import admin

from tests.factories import make_account

MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.fixture
def admin_client_logged(client, world):
    client.force_login(world.admin)
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_admin_changelist_and_add_pages_render(admin_client_logged, model):
    make_account()
    opts = model._meta
    for page in ("changelist", "add"):
        url = f"/admin/{opts.app_label}/{opts.model_name}/" + ("add/" if page == "add" else "")
        response = admin_client_logged.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_account_change_page_has_a_local_map_widget(admin_client_logged):
    account = make_account()
    html = admin_client_logged.get(f"/admin/accounts/account/{account.pk}/change/").content.decode()
    assert "/static/vendor/ol/ol.js" in html
    external = set(re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html))
    assert not external, external
    assert "cdn" not in html.lower()


def _synced_rows(world):
    from django.utils import timezone

    from fieldcrm.accounts.models import Activity, Contact
    from fieldcrm.tasks.models import Task
    from fieldcrm.visits.models import Visit

    account = make_account("Admin shop")
    return {
        "account": account,
        "contact": Contact.objects.create(account=account, name="Ann"),
        "activity": Activity.objects.create(
            account=account, kind="note", actor=world.rep1, occurred_at=timezone.now()
        ),
        "visit": Visit.objects.create(account=account, rep=world.rep1),
        "task": Task.objects.create(title="Call", account=account, assignee=world.rep1),
    }


def test_every_admin_delete_of_a_synced_row_leaves_a_tombstone(admin_client_logged, world):
    """Regression: "delete selected" and the delete pages of contacts etc. hard-deleted, so
    phones never learned of the deletion."""
    from fieldcrm.core.models import SyncedModel

    rows = _synced_rows(world)
    synced = [m for m in MODELS if issubclass(m, SyncedModel)]
    assert {m._meta.model_name for m in synced} == set(rows)
    for model in synced:
        row = rows[model._meta.model_name]
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        # The selection action on one model, the delete page on the next: both paths.
        if model._meta.model_name in ("account", "visit"):
            data = {"action": "delete_selected", "_selected_action": [str(row.pk)], "post": "yes"}
            response = admin_client_logged.post(url, data)
        else:
            response = admin_client_logged.post(f"{url}{row.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302, (model, response.status_code)
        kept = model.all_objects.filter(pk=row.pk).first()
        assert kept is not None and kept.deleted_at is not None, model


def test_an_inline_delete_box_soft_deletes_the_contact(admin_client_logged, world):
    from fieldcrm.accounts.models import Contact

    rows = _synced_rows(world)
    account, contact = rows["account"], rows["contact"]
    url = f"/admin/accounts/account/{account.pk}/change/"
    page = admin_client_logged.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not hasattr(v, "pk")}
    data.update({
        "name": account.name, "status": account.status, "tier": account.tier,
        "location": account.location.ewkt,
        "priority": account.priority, "opening_hours": "{}", "custom_fields": "{}",
        "contacts-TOTAL_FORMS": "1", "contacts-INITIAL_FORMS": "1",
        "contacts-MIN_NUM_FORMS": "0", "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-id": str(contact.pk), "contacts-0-account": str(account.pk),
        "contacts-0-name": contact.name, "contacts-0-DELETE": "on",
    })  # fmt: skip
    response = admin_client_logged.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Contact.all_objects.get(pk=contact.pk).deleted_at is not None
