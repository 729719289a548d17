"""URL map: admin, API (+ docs), health check, phone app wiring."""

from django.contrib import admin
from django.urls import include, path

from fieldcrm.api import api
from fieldcrm.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("pwa.urls")),
]
