"""URL map: admin, API (+ docs), health check, phone app wiring."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from fieldcrm.api import api
from fieldcrm.core.views import api_not_found, healthz
from fieldcrm.leads.views import form_page
from fieldcrm.notifications.views import calendar_feed
from fieldcrm.phone import views as phone_views
from fieldcrm.users.views import RoleLoginView, home

urlpatterns = [
    path("", home, name="home"),
    path("login/", RoleLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", phone_views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("app/", include("fieldcrm.phone.urls")),
    path("manager/", include("fieldcrm.manager.urls")),
    path("planner/", include("fieldcrm.manager.planner_urls")),
    path("notifications/", include("fieldcrm.notifications.urls")),
    path("calendar/<str:secret>.ics", calendar_feed, name="calendar-feed"),
    path("crm/settings/", include("fieldcrm.crm.settings_urls")),
    path("crm/settings/", include("fieldcrm.automation.urls")),
    path("crm/settings/", include("fieldcrm.integrations.settings_urls")),
    path("crm/", include("fieldcrm.documents.urls")),
    path("crm/", include("fieldcrm.attachments.urls")),
    path("crm/", include("fieldcrm.emails.urls")),
    path("crm/", include("fieldcrm.integrations.urls")),
    path("emails/", include("fieldcrm.emails.public_urls")),
    # A lead web form's own page: framed on other sites, or the target of a copied HTML form.
    path("forms/<str:token>", form_page, name="lead_form"),
    path("crm/", include("fieldcrm.crm.urls")),
    path("tiles/", include("fieldcrm.tiles.urls")),
    # The API's root shows its documentation; unknown paths below it answer JSON.
    path("api/", RedirectView.as_view(url="/api/docs", permanent=False)),
    path("api/", api.urls),
    re_path(r"^api/(?P<path>.*)$", api_not_found),
    path("", include("pwa.urls")),
]

# The site's own error pages (JSON under /api/): fieldcrm/core/views.py.
handler400 = "fieldcrm.core.views.bad_request"
handler403 = "fieldcrm.core.views.permission_denied"
handler404 = "fieldcrm.core.views.page_not_found"
handler500 = "fieldcrm.core.views.server_error"
