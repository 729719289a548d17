"""Manager pages (/manager/...)."""

from django.urls import path

from fieldcrm.manager import views

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
]
