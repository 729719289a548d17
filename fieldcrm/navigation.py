"""The one navigation of every server page: the pages the user may open, who they are, log out,
and the language switch (templates/nav/_header.html draws it; base.html includes it).

Which links a user sees is decided by the same rules the pages refuse with: the manager and
planner areas by ``access.may_open`` (their views call ``access.require_page``), the admin by
the admin site's own ``has_permission``, the phone app by being signed in (its view is
``login_required``), the API documentation by nothing (ninja serves it to anyone). So a link
never leads to a 403, and nothing a user may open is missing from their menu.

A new area (e.g. the CRM workspace under /crm/) is one more ``Entry`` in ``ENTRIES``: its
label, its URL name, who may open it (the rule its views refuse with) and the views that mark
it as the current page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from fieldcrm.access import may_open
from fieldcrm.users.models import User
from fieldcrm.users.selectors import landing_url


def _signed_in(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated)


def _anyone(request: HttpRequest) -> bool:
    return True


def _area(area: str) -> Callable[[HttpRequest], bool]:
    def allowed(request: HttpRequest) -> bool:
        return may_open(request.user, area)

    return allowed


@dataclass(frozen=True)
class Entry:
    """One link of the navigation."""

    key: str
    label: Any  # a lazy translation, rendered in the request's language
    url_name: str
    allowed: Callable[[HttpRequest], bool]
    # The views (``namespace:name``, or a namespace followed by ``:``) that are this entry's
    # page: the link is marked aria-current there. Defaults to ``url_name`` alone.
    current: tuple[str, ...] = ()

    def is_current(self, view_name: str) -> bool:
        names = self.current or (self.url_name,)
        return any(view_name == n or (n.endswith(":") and view_name.startswith(n)) for n in names)


# The workspace's record pages, under its "Accounts" link.
CRM_RECORDS = tuple(
    f"crm:{name}"
    for name in ("index", "accounts", "accounts_columns", "account", "account_log",
                 "account_task", "contact", "contact_log", "contact_task", "deal", "deal_log",
                 "deal_task")
)  # fmt: skip

CRM_ORDERS = (
    "crm:orders",
    "crm:order",
    "crm:order_new",
    "crm:order_status",
    "crm:order_lines",
    "documents:order_pdf",
)
CRM_CATALOG = tuple(
    f"crm:{name}"
    for name in ("products", "product_new", "product", "price_lists", "price_list_new",
                 "price_list")
)  # fmt: skip

# The settings pages, all under the one "Settings" link.
SETTINGS = (
    "crm_settings:",
    "automation:rules",
    "automation:rule",
    "automation:rule_from_template",
    "automation:webhooks",
    "automation:webhook",
    "automation:replay",
    "documents:templates",
    "documents:template",
    "documents:template_preview",
    "integrations:integrations",
    "integrations:integration",
)

ENTRIES: tuple[Entry, ...] = (
    Entry("dashboard", _("This week"), "manager:dashboard", _area("manager")),
    Entry("map", _("Territory map"), "manager:map", _area("manager"),
          current=("manager:map", "manager:territory_balance",
                   "manager:territory_balance_confirm")),  # fmt: skip
    Entry("planner", _("Route planner"), "planner:index", _area("planner"), ("planner:",)),
    Entry("crm", _("Accounts"), "crm:accounts", _area("crm"), CRM_RECORDS),
    Entry("crm_board", _("Deal board"), "crm:deal_board", _area("crm")),
    Entry("crm_tasks", _("Tasks"), "crm:tasks", _area("crm")),
    Entry("crm_orders", _("Orders and quotes"), "crm:orders", _area("crm"), CRM_ORDERS),
    Entry("crm_catalog", _("Products"), "crm:products", _area("catalog"), CRM_CATALOG),
    Entry("crm_mail", _("E-mail"), "emails:suppressions", _area("mail"),
          ("emails:suppressions", "emails:suppression_lift", "emails:review",
           "integration_pages:unknown_callers")),
    # One link for every settings page: the index lists them (crm/settings_pages.py); a
    # manager's lists the web forms alone (issue 16), the index's own rule.
    Entry("settings", _("Settings"), "crm_settings:index", _area("webforms"), SETTINGS),
    Entry("phone", _("Phone app"), "phone-app", _signed_in),
    Entry("admin", _("Administration"), "admin:index", admin.site.has_permission, ("admin:",)),
    Entry("api_docs", _("API documentation"), "api:openapi-view", _anyone),
)  # fmt: skip


@dataclass(frozen=True)
class Link:
    key: str
    label: Any
    url: str
    current: bool


@dataclass(frozen=True)
class Navigation:
    links: list[Link]
    home_url: str  # the user's landing page (the site's home when signed out)
    at_home: bool = False  # this is the site's home page (the brand link is marked current)
    user: User | None = None
    name: str = ""
    role: str = ""


def navigation_for(request: HttpRequest) -> Navigation:
    """The navigation ``request``'s user sees, the current page marked."""
    if not hasattr(request, "user"):
        # Refused before the authentication middleware ran (a 400 for a bad Host header).
        return Navigation(links=[], home_url="/")
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match is not None else ""
    links = [
        Link(e.key, e.label, reverse(e.url_name), bool(view_name) and e.is_current(view_name))
        for e in ENTRIES
        if e.allowed(request)
    ]
    user = request.user
    if not user.is_authenticated:
        return Navigation(links=links, home_url=reverse("home"), at_home=view_name == "home")
    assert isinstance(user, User)
    return Navigation(
        links=links,
        home_url=landing_url(user),
        user=user,
        name=user.display_name,
        role=user.get_role_display(),
    )


def navigation(request: HttpRequest) -> dict[str, object]:
    """Context processor: ``nav`` for the header (base.html, and the admin's base_site.html),
    built only when a template uses it (most of what renders templates never does)."""
    return {"nav": SimpleLazyObject(lambda: navigation_for(request))}
