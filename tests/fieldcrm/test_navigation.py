"""The one navigation (issue 14, defect 10): every server page a role may open shows the same
header with exactly the links of the pages that role may open, who is signed in, a POST
logout and the language switch; each link opens, and every page left out refuses the role.

The expected links per role are written out here (the specification), not derived from
fieldcrm/navigation.py: the test that a link opens and that a missing one refuses ties them to
the views' own rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.test import Client

# key -> URL of every entry the navigation can show.
ENTRY_URLS = {
    "dashboard": "/manager/",
    "map": "/manager/map",
    "planner": "/planner/",
    "crm": "/crm/accounts/",
    "crm_board": "/crm/deals/board/",
    "crm_tasks": "/crm/tasks/",
    "settings": "/crm/settings/",
    "crm_orders": "/crm/orders/",
    "crm_catalog": "/crm/products/",
    "crm_mail": "/crm/emails/suppressed",
    "phone": "/app/",
    "admin": "/admin/",
    "api_docs": "/api/docs",
}
# persona -> (its links in order, the server pages it opens that carry the header).
# The workspace (/crm/): every role's, between the role's own pages and the phone app.
CRM = ["crm", "crm_board", "crm_tasks", "crm_orders"]
CRM_PAGES = ["/crm/accounts/", "/crm/deals/board/", "/crm/tasks/", "/crm/orders/"]
# The catalogue (/crm/products/, /crm/price-lists/): managers' and admins'.
CATALOG = ["crm_catalog"]
# The e-mail suppression list and review list (/crm/emails/): managers' and admins'.
MAIL = ["crm_mail"]
ROLES = {
    None: (["api_docs"], ["/"]),
    "rep1": ([*CRM, "phone", "api_docs"], CRM_PAGES),
    "planner": (["planner", *CRM, "phone", "api_docs"], ["/planner/", *CRM_PAGES]),
    # A manager's settings: the index, listing the web forms of their regions alone (issue 16).
    "manager": (["dashboard", "map", "planner", *CRM, *CATALOG, *MAIL, "settings", "phone",
                 "api_docs"],
                ["/manager/", "/manager/map", "/planner/", *CRM_PAGES, "/crm/products/",
                 "/crm/emails/suppressed", "/crm/settings/", "/crm/settings/forms"]),
    # The workspace's settings (one link to their index: custom fields, automation, webhooks,
    # document templates…): admins, managers only the web forms.
    "admin": (["dashboard", "map", "planner", *CRM, *CATALOG, *MAIL, "settings", "phone", "admin",
               "api_docs"],
              ["/manager/", "/manager/map", "/planner/", *CRM_PAGES, "/crm/products/",
               "/crm/emails/suppressed", "/crm/settings/", "/crm/settings/fields",
               "/crm/settings/automation", "/crm/settings/webhooks", "/crm/settings/documents"]),
}  # fmt: skip
LANDING = {None: "/", "rep1": "/app/", "planner": "/planner/", "manager": "/manager/",
           "admin": "/admin/"}  # fmt: skip


@dataclass
class Header:
    """What a page's site header holds, read with the standard library's HTML parser."""

    count: int = 0  # how many site headers the page has
    html_lang: str = ""
    html_dir: str = ""
    links: list[dict] = field(default_factory=list)  # the navigation's <a>, with their text
    brand: dict = field(default_factory=dict)
    user_name: str = ""
    logout: dict | None = None  # the logout form: method, action, has a CSRF token
    login_link: bool = False
    languages: list[dict] = field(default_factory=list)
    home_link: dict | None = None  # an error page's link home

    @property
    def keys(self) -> list[str]:
        return [a["data-nav"] for a in self.links]

    @property
    def current(self) -> list[str]:
        return [a["data-nav"] for a in self.links if a.get("aria-current") == "page"]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h = Header()
        self.stack: list[str] = []  # the open site header, its nav, the user's <bdi>
        self.text_of: dict | None = None
        self.form: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        cls = a.get("class", "")
        if tag == "html":
            self.h.html_lang, self.h.html_dir = a.get("lang", ""), a.get("dir", "")
        if tag == "header" and "site-header" in cls:
            self.h.count += 1
            self.stack.append("header")
        elif tag == "nav" and "site-nav" in cls:
            self.stack.append("nav")
        elif tag == "a" and a.get("id") == "error-home":
            self.h.home_link = {**a, "text": ""}
            self.text_of = self.h.home_link
        elif "header" in self.stack:
            if tag == "a" and "nav" in self.stack:
                self.h.links.append({**a, "text": ""})
                self.text_of = self.h.links[-1]
            elif tag == "a" and "brand" in cls:
                self.h.brand = a
            elif tag == "a" and "site-login" in cls:
                self.h.login_link = True
            elif tag == "bdi":
                self.stack.append("bdi")
            elif tag == "form":
                self.form = {**a, "csrf": False}
                if "site-logout" in cls:
                    self.h.logout = self.form
            elif tag == "input" and a.get("name") == "csrfmiddlewaretoken" and self.form:
                self.form["csrf"] = bool(a.get("value"))
            elif tag == "button" and self.form is not None and a.get("name") == "language":
                self.h.languages.append({**a, "form": self.form})

    def handle_endtag(self, tag):
        if tag == "a":
            self.text_of = None
        elif tag == "form":
            self.form = None
        elif self.stack and tag == self.stack[-1]:  # a header, nav or bdi we opened
            self.stack.pop()

    def handle_data(self, data):
        if self.text_of is not None:
            self.text_of["text"] += data
        if self.stack and self.stack[-1] == "bdi":
            self.h.user_name += data


def header_of(response) -> Header:
    parser = _Parser()
    parser.feed(response.content.decode())
    return parser.h


def client_for(world, persona: str | None) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(getattr(world, persona))
    return client


def assert_header(header: Header, persona: str | None, world) -> None:
    """The role's header: exactly its links, its name and logout (or log in), the languages."""
    keys, _pages = ROLES[persona]
    assert header.count == 1
    assert header.keys == keys
    assert [a["href"] for a in header.links] == [ENTRY_URLS[k] for k in keys]
    assert all(a["text"].strip() for a in header.links)
    assert header.brand["href"] == LANDING[persona]
    if persona is None:
        assert header.logout is None and header.login_link and not header.user_name
    else:
        assert header.user_name == getattr(world, persona).display_name
        assert header.logout is not None and not header.login_link
        assert header.logout["method"] == "post" and header.logout["action"] == "/logout/"
        assert header.logout["csrf"]
    assert [b["value"] for b in header.languages] == ["en", "vi", "fa"]
    form = header.languages[0]["form"]
    assert form["action"] == "/i18n/setlang/" and form["method"] == "post" and form["csrf"]


# ------------------------------------------------------------------------ per role, per page


@pytest.mark.parametrize(
    ("persona", "url"),
    [(persona, url) for persona, (_keys, pages) in ROLES.items() for url in pages],
)
def test_every_page_a_role_opens_shows_its_navigation(world, persona, url):
    response = client_for(world, persona).get(url)
    assert response.status_code == 200
    header = header_of(response)
    assert_header(header, persona, world)
    # The page itself is marked current (the planner's page is the planner entry; every
    # settings page the one settings entry).
    expected = [k for k in header.keys if ENTRY_URLS[k] == url
                or (k == "settings" and url.startswith(ENTRY_URLS[k]))]  # fmt: skip
    assert header.current == expected
    if persona is None:
        assert header.brand.get("aria-current") == "page"  # the home page


@pytest.mark.parametrize("persona", list(ROLES))
def test_each_link_opens_and_every_page_left_out_refuses_the_role(world, persona):
    """The navigation and the views follow one rule: a listed page opens, an unlisted one
    answers 403 (or sends to a login page), so no link is a dead end and none is missing."""
    keys, _pages = ROLES[persona]
    client = client_for(world, persona)
    for key, url in ENTRY_URLS.items():
        response = client.get(url)
        if key in keys:
            assert response.status_code == 200, (persona, url, response.status_code)
        else:
            assert response.status_code in (302, 403), (persona, url, response.status_code)
            if response.status_code == 302:
                assert "login" in response["Location"], (persona, url)


@pytest.mark.parametrize("persona", list(ROLES))
def test_error_pages_show_the_same_navigation(world, persona):
    header = header_of(client_for(world, persona).get("/no-such-page/"))
    assert_header(header, persona, world)
    assert header.current == []


def test_login_page_has_only_the_language_switch(db):
    header = header_of(Client().get("/login/"))
    assert header.count == 1
    assert header.links == [] and header.logout is None and not header.login_link
    assert [b["value"] for b in header.languages] == ["en", "vi", "fa"]


def test_logout_from_the_navigation_posts_and_ends_the_session(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.manager)
    page = client.get("/manager/")
    token = page.cookies["csrftoken"].value
    response = client.post("/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/manager/").status_code == 302  # to the login page again


def test_the_name_in_the_navigation_is_escaped(world):
    world.manager.first_name = "<script>alert('nav')</script>"
    world.manager.last_name = "\"'><img src=x onerror=alert(1)>"
    world.manager.save()
    response = client_for(world, "manager").get("/manager/")
    html = response.content.decode()
    assert "<script>alert('nav')" not in html and "<img src=x" not in html
    assert header_of(response).user_name == world.manager.display_name  # shown as text


def test_an_inactive_user_is_shown_no_area(world):
    from fieldcrm.access import may_open

    world.manager.is_active = False
    assert not may_open(world.manager, "manager") and not may_open(world.manager, "planner")


# ---------------------------------------------------------------------------- the language


@pytest.mark.parametrize(
    ("code", "direction", "this_week"), [("fa", "rtl", "این هفته"), ("vi", "ltr", "Tuần này")]
)
def test_the_language_switch_changes_the_page_language(world, code, direction, this_week):
    client = client_for(world, "manager")
    switched = client.post("/i18n/setlang/", {"language": code, "next": "/manager/"})
    assert switched.status_code == 302 and switched["Location"] == "/manager/"
    response = client.get("/manager/")
    header = header_of(response)
    assert (header.html_lang, header.html_dir) == (code, direction)
    assert header.links[0]["text"] == this_week
    assert [b.get("aria-current") for b in header.languages if b["value"] == code] == ["true"]
    back = client.post("/i18n/setlang/", {"language": "en", "next": "/manager/"})
    assert back.status_code == 302
    assert header_of(client.get("/manager/")).html_dir == "ltr"


def test_a_refusal_speaks_the_users_language(world):
    client = client_for(world, "rep1")
    client.post("/i18n/setlang/", {"language": "fa", "next": "/manager/"})
    response = client.get("/manager/")
    assert response.status_code == 403
    header = header_of(response)
    assert (header.html_lang, header.html_dir) == ("fa", "rtl")
    assert "شما اجازهٔ باز کردن این صفحه را ندارید" in response.content.decode()
    assert header.home_link is not None and header.home_link["href"] == "/app/"


def test_the_admin_shows_the_same_links_under_its_own_header(world):
    """The admin keeps its header and log out; the site's links sit below it."""
    html = client_for(world, "admin").get("/admin/users/user/").content.decode()
    links = re.findall(r'<a href="([^"]+)" data-nav="(\w+)"( aria-current="page")?', html)
    assert [key for _url, key, _c in links] == ROLES["admin"][0]
    assert [key for _url, key, current in links if current] == ["admin"]
    assert "core/admin-nav.css" in html
