"""Planner pages (/planner/...)."""

urlpatterns: list = []
