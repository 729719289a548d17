"""The phone app's server side: its shell at /app/ (the pages themselves live in pwa/)."""

from django.urls import path

from fieldcrm.phone import views

urlpatterns = [
    path("", views.shell, name="phone-app"),
    path("precache.js", views.precache, name="phone-precache"),
]
