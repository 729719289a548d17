"""The attachments' pages, below /crm/."""

from django.urls import path

from fieldcrm.attachments import views

app_name = "attachments"

urlpatterns = [
    path("attachments/", views.upload, name="upload"),
    path("attachments/<int:attachment_id>", views.download, name="download"),
    path("attachments/<int:attachment_id>/photo", views.photo, name="photo"),
]
