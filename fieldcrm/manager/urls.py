"""Manager pages (/manager/...)."""

from django.urls import path

from fieldcrm.manager import balance_views, views

app_name = "manager"

urlpatterns = [
    path("", views.manager_dashboard, name="dashboard"),
    path("map", views.map_page, name="map"),
    path("map/frame", views.map_frame, name="map_frame"),
    path("map/download", views.map_download, name="map_download"),
    path("map/selection", views.map_selection, name="map_selection"),
    path("map/selection/export.csv", views.map_selection_export, name="map_selection_export"),
    path(
        "map/selection/assign/preview",
        views.map_selection_assign_preview,
        name="map_selection_assign_preview",
    ),
    path("territories/balance", balance_views.balance_page, name="territory_balance"),
    path(
        "territories/balance/propose",
        balance_views.balance_propose_view,
        name="territory_balance_propose",
    ),  # fmt: skip
    path(
        "territories/balance/frame", balance_views.balance_frame, name="territory_balance_frame"
    ),  # fmt: skip
    path(
        "territories/balance/confirm",
        balance_views.balance_confirm,
        name="territory_balance_confirm",
    ),  # fmt: skip
    path(
        "territories/balance/apply",
        balance_views.balance_apply_view,
        name="territory_balance_apply",
    ),  # fmt: skip
]
