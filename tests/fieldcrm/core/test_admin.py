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
