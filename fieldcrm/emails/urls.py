"""The e-mail pages below /crm/ (sending from a record, the lists managers keep)."""

from django.urls import path

from fieldcrm.emails import views

app_name = "emails"

urlpatterns = [
    path("emails/send", views.send, name="send"),
    path("emails/suppressed", views.suppressions, name="suppressions"),
    path("emails/suppressed/<int:suppression_id>/lift", views.lift, name="suppression_lift"),
    path("emails/review", views.review, name="review"),
    path("emails/review/<uuid:email_id>/lead", views.file_as_lead, name="file_as_lead"),
]
