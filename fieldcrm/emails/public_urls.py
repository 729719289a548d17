"""The unsubscribe link in every e-mail to a contact (no login: the token is the credential)."""

from django.urls import path

from fieldcrm.emails import views

app_name = "emails_public"

urlpatterns = [path("unsubscribe/<str:token>", views.unsubscribe_page, name="unsubscribe")]
