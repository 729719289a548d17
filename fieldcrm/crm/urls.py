"""The workspace's pages (/crm/...)."""

from django.urls import path
from django.views.generic import RedirectView

from fieldcrm.crm import views

app_name = "crm"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="crm:accounts", permanent=False), name="index"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/columns", views.accounts_columns, name="accounts_columns"),
    path("accounts/<uuid:account_id>/", views.account, name="account"),
    path("accounts/<uuid:account_id>/log", views.account_log, name="account_log"),
    path("accounts/<uuid:account_id>/tasks", views.account_task, name="account_task"),
]
