"""The documents' pages, below /crm/: the settings' template editor and the PDF downloads."""

from django.urls import path

from fieldcrm.documents import views

app_name = "documents"

urlpatterns = [
    path("settings/documents", views.templates, name="templates"),
    path("settings/documents/<str:kind>/<str:language>", views.template, name="template"),
    path(
        "settings/documents/<str:kind>/<str:language>/preview",
        views.template_preview,
        name="template_preview",
    ),
    path("orders/<uuid:order_id>/pdf", views.order_pdf, name="order_pdf"),
    path("visits/<uuid:visit_id>/pdf", views.visit_pdf, name="visit_pdf"),
]
