"""Planner pages (/planner/...)."""

from django.urls import path

from fieldcrm.manager import planner_views as views

app_name = "planner"

urlpatterns = [
    path("", views.planner_page, name="index"),
    path("map", views.planner_map, name="map"),
]
