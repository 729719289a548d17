"""The phone app's server side: its shell at /app/ (the pages themselves live in pwa/)."""

from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/"), name="phone-app"),
]
